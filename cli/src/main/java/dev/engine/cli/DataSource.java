package dev.engine.cli;

import dev.engine.api.EngineException;
import dev.engine.data.Csv;
import dev.engine.data.Dataset;
import dev.engine.data.Digits;
import dev.engine.data.Idx;
import dev.engine.data.Pipeline;
import dev.engine.data.Scale;
import dev.engine.data.Split;
import dev.engine.data.Splits;
import dev.engine.data.Standardize;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Resolves the CLI's {@code --data} argument into a train/test split and the preprocessing that fits it:
 * "digits" (the shipped 8x8 set, pixels / 16), a directory of IDX files (pixels / 255), a CSV file
 * (label column, standardised features) or an NPY pair.
 */
final class DataSource {
    record Prepared(Dataset train, Dataset test, List<String> classNames, Pipeline preprocessing, Dataset rawTest) {}

    private DataSource() {}

    static Prepared load(String spec, int labelColumn, double testFraction, long seed) {
        Split split;
        Pipeline prep;
        if (spec.equals("digits")) {
            split = Digits.trainTestSplit();
            prep = Pipeline.of(new Scale(1f / 16));
        } else {
            Path p = Path.of(spec);
            if (!Files.exists(p)) throw new EngineException("--data: " + spec + " does not exist (use 'digits', a CSV file, or an IDX directory)");
            if (Files.isDirectory(p)) {
                split = Idx.loadDirectory(p);
                prep = Pipeline.of(new Scale(1f / 255));
            } else if (spec.endsWith(".csv")) {
                Dataset all = Csv.read(p).labelColumn(labelColumn).build();
                split = Splits.trainTest(all, 1 - testFraction, seed, true);
                prep = Pipeline.of(new Standardize());
            } else {
                throw new EngineException("--data: " + spec + " is not 'digits', a .csv file or a directory of IDX files");
            }
        }
        Dataset test = split.test() != null ? split.test() : split.validation();
        if (test == null || test.size() == 0) throw new EngineException("--data: " + spec + " gave no test rows");
        Pipeline fitted = prep.fit(split.train());
        List<String> names = split.train().classNames();
        if (names == null || names.isEmpty()) {
            names = new java.util.ArrayList<>();
            for (int i = 0; i < split.train().numClasses(); i++) names.add(Integer.toString(i));
        }
        return new Prepared(fitted.applyTraining(split.train()), fitted.apply(test), names, fitted, test);
    }

    /** Flattened size of one sample. */
    static int features(Dataset d) { return d.featureSize(); }

}
