package dev.engine.cli;

import dev.engine.api.EngineException;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.train.search.Direction;
import dev.engine.train.search.HyperparameterSearch;
import dev.engine.train.search.SearchListener;
import dev.engine.train.search.SearchResults;
import dev.engine.train.search.SearchSpace;
import dev.engine.train.search.SearchStrategy;
import dev.engine.train.search.TrainerObjective;
import dev.engine.train.search.TrialRecord;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code engine tune}: hyperparameter search over an MLP, ranked by a metric on the validation part (or by
 * k-fold cross-validation on the training part with {@code --folds}); the test part is never looked at.
 * Results table printed and saved as CSV.
 */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = "Hyperparameter search (grid, random, successive halving) over an MLP, ranked on validation rows; results saved as CSV.")
final class TuneCommand implements Callable<Integer> {
    /** The parameters the MLP factory and the default optimizer read. */
    static final Set<String> PARAMS = Set.of("lr", "hidden", "batch", "batch_size", "dropout", "weight_decay", "momentum", "optimizer");
    /** Metrics of the history a trial may be ranked by. */
    static final Set<String> METRICS = Set.of("val_loss", "val_accuracy", "val_macro_precision", "val_macro_recall", "val_macro_f1", "train_loss");

    @Mixin DataOptions dataOptions = new DataOptions();
    @Option(names = "--param", description = "Search dimension, repeatable, e.g. lr=loguniform:1e-4:1e-1, hidden=choice:[64],[128,64], "
            + "batch=choice:16,32, dropout=uniform:0:0.5, weight_decay=choice:0,1e-4, optimizer=choice:adam,sgd",
            defaultValue = "lr=loguniform:1e-4:3e-2;hidden=choice:[32],[64],[128];batch=choice:16,32,64", split = ";")
    List<String> params;
    @Option(names = "--strategy", defaultValue = "halving:9", description = "grid[:res] | random:N | halving:N[:eta[:minEpochs]]. Default: ${DEFAULT-VALUE}")
    String strategy;
    @Option(names = "--epochs", defaultValue = "9", description = "Epoch budget per trial (max budget for halving). Default: ${DEFAULT-VALUE}")
    int epochs;
    @Option(names = "--metric", defaultValue = "val_accuracy", description = "val_accuracy, val_loss, val_macro_f1, ... Default: ${DEFAULT-VALUE}")
    String metric;
    @Option(names = "--folds", defaultValue = "0",
            description = "k-fold cross-validation on the training part (0 = rank on the validation part). Default: ${DEFAULT-VALUE}")
    int folds;
    @Option(names = "--seed", defaultValue = "0", description = "Seeds the split, the trials and their training. Default: ${DEFAULT-VALUE}")
    long seed;
    @Option(names = "--out", defaultValue = "tune-results.csv", description = "Results CSV. Default: ${DEFAULT-VALUE}")
    Path out;

    @Override public Integer call() {
        if (epochs < 1) throw new EngineException("--epochs " + epochs + " must be >= 1");
        if (!METRICS.contains(metric)) throw new EngineException("--metric: unknown '" + metric + "' (known: " + String.join(", ", new java.util.TreeSet<>(METRICS)) + ")");
        if (folds == 1 || folds < 0) throw new EngineException("--folds " + folds + " must be 0 (off) or >= 2");
        SearchSpace space;
        SearchStrategy strat;
        try {
            space = SearchSpace.parse(params);
            strat = SearchStrategy.parse(strategy, epochs);
        } catch (IllegalArgumentException e) {
            throw new EngineException(e.getMessage(), e);
        }
        for (String name : space.names()) {
            if (!PARAMS.contains(name))
                throw new EngineException("--param: unknown parameter '" + name + "' (known: " + String.join(", ", new java.util.TreeSet<>(PARAMS)) + ")");
        }
        DataSource.Prepared d = DataSource.load(dataOptions, seed);
        TrainerObjective.Builder ob;
        if (folds > 0) {
            ob = TrainerObjective.builder(TrainerObjective.mlp(d.train().featureSize(), d.classNames().size()), new CrossEntropyLoss(), d.train(), null)
                    .crossValidation(folds, seed, true);
        } else {
            if (d.validation() == null && metric.startsWith("val_"))
                throw new EngineException("--metric " + metric + " needs validation rows: --val-fraction > 0, or --folds K");
            ob = TrainerObjective.builder(TrainerObjective.mlp(d.train().featureSize(), d.classNames().size()), new CrossEntropyLoss(),
                    d.train(), d.validation());
        }
        TrainerObjective objective = ob.metric(metric).build();
        System.out.println("tune: " + d.description() + (folds > 0 ? "; ranked by " + folds + "-fold cross-validation" : "; ranked on the validation rows"));
        SearchResults r = HyperparameterSearch.builder(space, objective)
                .strategy(strat).seed(seed).metric(metric).direction(Direction.forMetric(metric))
                .listener(SearchListener.printing(System.out, metric)).resultsCsv(out).build().run();
        System.out.print(r.table());
        System.out.println("results: " + out.toAbsolutePath());
        if (r.evaluations().stream().allMatch(TrialRecord::failed)) {
            String first = r.evaluations().isEmpty() ? "no trials ran" : r.evaluations().get(0).error();
            throw new EngineException("tune: every trial failed; the first: " + first);
        }
        return 0;
    }
}
