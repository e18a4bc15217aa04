/**
 * Hyperparameter search: a declared {@link dev.engine.train.search.SearchSpace} of named
 * {@link dev.engine.train.search.Param}s (choices, uniform / log-uniform ranges, integer ranges), a
 * {@link dev.engine.train.search.SearchStrategy} ({@link dev.engine.train.search.GridSearch},
 * {@link dev.engine.train.search.RandomSearch}, {@link dev.engine.train.search.SuccessiveHalving}) and an
 * {@link dev.engine.train.search.Objective} {@code (trial, epochBudget) -> TrialResult}; the search knows
 * nothing about what is trained. {@link dev.engine.train.search.TrainerObjective} trains a model with the
 * {@link dev.engine.train.Trainer} and reads a validation metric. Results are ranked
 * ({@link dev.engine.train.search.SearchResults}) and saved as CSV. Everything is seeded: the same seed
 * gives the same trials and, with a deterministic objective, the same ranking.
 *
 * <pre>{@code
 * SearchSpace space = SearchSpace.parse("lr=loguniform:1e-4:1e-1", "hidden=choice:[64],[128,64]", "batch=choice:32,64");
 * TrainerObjective objective = TrainerObjective.builder(TrainerObjective.mlp(64, 10), new CrossEntropyLoss(), train, val)
 *         .metric("val_accuracy").build();
 * SearchResults results = HyperparameterSearch.builder(space, objective)
 *         .strategy(SearchStrategy.parse("halving:27:3", 9))     // or new RandomSearch(20, 5), new GridSearch(5, 3)
 *         .seed(0).listener(SearchListener.printing(System.out)).build().run();
 * System.out.print(results.table());
 * results.writeCsv(Path.of("tune.csv"));
 * Trial best = results.best().trial();
 * }</pre>
 */
package dev.engine.train.search;
