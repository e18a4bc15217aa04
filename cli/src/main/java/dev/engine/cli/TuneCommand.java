package dev.engine.cli;

import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.train.search.Direction;
import dev.engine.train.search.HyperparameterSearch;
import dev.engine.train.search.SearchListener;
import dev.engine.train.search.SearchResults;
import dev.engine.train.search.SearchSpace;
import dev.engine.train.search.SearchStrategy;
import dev.engine.train.search.TrainerObjective;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code engine tune}: hyperparameter search over an MLP on a dataset's split, ranked by a validation
 * metric, results table printed and saved as CSV.
 */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = "Hyperparameter search (grid, random, successive halving) over an MLP; ranked results saved as CSV.")
final class TuneCommand implements Callable<Integer> {
    @Option(names = "--data", defaultValue = "digits", description = "digits, a CSV file, or an IDX directory. Default: ${DEFAULT-VALUE}")
    String data;
    @Option(names = "--label-column", defaultValue = "0")
    int labelColumn;
    @Option(names = "--test-fraction", defaultValue = "0.2")
    double testFraction;
    @Option(names = "--param", description = "Search dimension, repeatable, e.g. lr=loguniform:1e-4:1e-1, hidden=choice:[64],[128,64], "
            + "batch=choice:16,32, dropout=uniform:0:0.5, weight_decay=choice:0,1e-4, optimizer=choice:adam,sgd",
            defaultValue = "lr=loguniform:1e-4:3e-2;hidden=choice:[32],[64],[128];batch=choice:16,32,64", split = ";")
    List<String> params;
    @Option(names = "--strategy", defaultValue = "halving:9", description = "grid[:res] | random:N | halving:N[:eta[:minEpochs]]. Default: ${DEFAULT-VALUE}")
    String strategy;
    @Option(names = "--epochs", defaultValue = "9", description = "Epoch budget per trial (max budget for halving). Default: ${DEFAULT-VALUE}")
    int epochs;
    @Option(names = "--metric", defaultValue = "val_accuracy", description = "Default: ${DEFAULT-VALUE}")
    String metric;
    @Option(names = "--seed", defaultValue = "0")
    long seed;
    @Option(names = "--out", defaultValue = "tune-results.csv", description = "Results CSV. Default: ${DEFAULT-VALUE}")
    Path out;

    @Override public Integer call() {
        DataSource.Prepared d = DataSource.load(data, labelColumn, testFraction, seed);
        SearchSpace space = SearchSpace.parse(params);
        TrainerObjective objective = TrainerObjective.builder(TrainerObjective.mlp(d.train().featureSize(), d.classNames().size()),
                new CrossEntropyLoss(), d.train(), d.test()).metric(metric).build();
        SearchResults r = HyperparameterSearch.builder(space, objective)
                .strategy(SearchStrategy.parse(strategy, epochs)).seed(seed).metric(metric).direction(Direction.forMetric(metric))
                .listener(SearchListener.printing(System.out, metric)).resultsCsv(out).build().run();
        System.out.println(r.table());
        System.out.println(r.summary());
        System.out.println("results: " + out.toAbsolutePath());
        return 0;
    }
}
