package dev.engine.cli;

import dev.engine.api.EngineException;
import dev.engine.data.Csv;
import dev.engine.data.Dataset;
import dev.engine.data.Digits;
import dev.engine.data.Idx;
import dev.engine.data.Impute;
import dev.engine.data.OneHotEncode;
import dev.engine.data.OrdinalEncode;
import dev.engine.data.Pipeline;
import dev.engine.data.Preprocessor;
import dev.engine.data.Scale;
import dev.engine.data.Split;
import dev.engine.data.Splits;
import dev.engine.data.Standardize;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Resolves the CLI's data options into three disjoint parts and the preprocessing fitted on the training
 * part: train (fitted on), validation (early stopping, LR plateau, search ranking) and test (looked at
 * once, after training). "digits" (the shipped 8x8 set, pixels / 16) and IDX directories (pixels / 255)
 * have a fixed test part; their validation part is a stratified, seeded share of the training part. A
 * CSV file is split three ways (stratified, seeded); its missing values are imputed, its non-numeric
 * columns one-hot or ordinal encoded and every column standardised, all saved in the bundle.
 */
final class DataSource {
    /** The prepared parts; {@code validation} is null when {@code --val-fraction 0}. */
    record Prepared(Dataset train, Dataset validation, Dataset test, List<String> classNames, Pipeline preprocessing,
                    Dataset rawTest, String description, Dataset rawTrain) {}

    private DataSource() {}

    /** For training: every part must have rows and the training part at least two classes. */
    static Prepared load(DataOptions o, long seed) { return load(o, seed, true); }

    /** {@code training} false (eval): only the test part must have rows. */
    static Prepared load(DataOptions o, long seed, boolean training) {
        if (!(o.valFraction >= 0 && o.valFraction < 1)) throw new EngineException("--val-fraction " + o.valFraction + " must be in [0, 1)");
        Split split;
        Pipeline prep;
        String how;
        if (o.data.equals("digits") || Files.isDirectory(Path.of(o.data))) {
            boolean digits = o.data.equals("digits");
            if (o.testFraction != null)
                throw new EngineException("--test-fraction applies to CSV files; " + (digits ? "the digits set" : o.data)
                        + " has a fixed test part (--val-fraction sets the validation share of its training part)");
            Split fixed = digits ? Digits.trainTestSplit() : Idx.loadDirectory(Path.of(o.data));
            split = carveValidation(fixed, o.valFraction, seed);
            prep = Pipeline.of(new Scale(digits ? 1f / 16 : 1f / 255));
            how = String.format(Locale.ROOT, "validation: stratified %.0f%% of the training part, seed %d; test: the fixed test part",
                    100 * o.valFraction, seed);
        } else {
            Path p = Path.of(o.data);
            if (!Files.exists(p)) throw new EngineException("--data: " + o.data + " does not exist (use 'digits', a CSV file, or an IDX directory)");
            if (!o.data.toLowerCase(Locale.ROOT).endsWith(".csv"))
                throw new EngineException("--data: " + o.data + " is not 'digits', a .csv file or a directory of IDX files");
            double test = o.testFraction == null ? 0.2 : o.testFraction;
            if (!(test > 0 && test < 1)) throw new EngineException("--test-fraction " + test + " must be in (0, 1): the test part and the training part both need rows");
            if (o.valFraction + test >= 1)
                throw new EngineException("--val-fraction " + o.valFraction + " + --test-fraction " + test + " leave no training rows; their sum must be below 1");
            Dataset all = readCsv(p, o);
            split = Splits.trainValTest(all, 1 - test - o.valFraction, o.valFraction, seed, Split.STRATIFIED);
            prep = Pipeline.of(csvSteps(all, o).toArray(new Preprocessor[0]));
            how = String.format(Locale.ROOT, "stratified %.0f/%.0f/%.0f%% train/validation/test, seed %d",
                    100 * (1 - test - o.valFraction), 100 * o.valFraction, 100 * test, seed);
        }
        checkParts(split, o, training);
        List<String> names = classNames(split);
        Pipeline fitted = prep.fit(split.train());
        Dataset val = split.validation().size() == 0 ? null : fitted.apply(split.validation());
        String desc = split.train().size() + " train rows, " + split.validation().size() + " validation rows, " + split.test().size()
                + " test rows (" + how + ")";
        return new Prepared(fitted.applyTraining(split.train()), val, fitted.apply(split.test()), names, fitted, split.test(), desc, split.train());
    }

    /** The fixed split's training part cut into train and validation, stratified and seeded. */
    private static Split carveValidation(Split fixed, double valFraction, long seed) {
        Dataset t = fixed.train();
        if (valFraction == 0) return new Split(t, t.subset(new int[0]), fixed.test());
        int[][] idx = Splits.indices(t, 1 - valFraction, valFraction, seed, Split.STRATIFIED);
        return new Split(t.subset(idx[0]), t.subset(idx[1]), fixed.test());
    }

    private static Dataset readCsv(Path p, DataOptions o) {
        Csv csv = Csv.read(p).delimiter(delimiter(o.delimiter)).inferCategorical();
        Object label = column(o.labelColumn, "--label-column");
        if (label instanceof Integer i) csv.labelColumn(i); else csv.labelColumn((String) label);
        for (String c : o.categorical) {
            Object ref = column(c, "--categorical");
            if (ref instanceof Integer i) csv.categorical(i); else csv.categorical((String) ref);
        }
        return csv.build();
    }

    /** A column given as a header name or a 1-based index; returns the 0-based index or the name. */
    static Object column(String s, String option) {
        String t = s.strip();
        if (!t.isEmpty() && t.chars().allMatch(Character::isDigit)) {
            int i;
            try {
                i = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                throw new EngineException(option + " " + s + ": too large for a column number");
            }
            if (i < 1) throw new EngineException(option + " " + s + ": columns are numbered from 1");
            return i - 1;
        }
        if (t.isEmpty()) throw new EngineException(option + ": empty column name");
        return t;
    }

    static char delimiter(String d) {
        if (d.equals("\\t") || d.equalsIgnoreCase("tab")) return '\t';
        if (d.length() != 1) throw new EngineException("--delimiter '" + d + "' must be one character (or \\t)");
        return d.charAt(0);
    }

    /** Impute, encode the categorical columns (if any), standardise. */
    private static List<Preprocessor> csvSteps(Dataset all, DataOptions o) {
        List<Preprocessor> steps = new ArrayList<>();
        steps.add(impute(o.impute));
        if (!all.categoricalColumns().isEmpty()) {
            steps.add(switch (o.encode) {
                case "onehot", "one-hot" -> new OneHotEncode();
                case "ordinal" -> new OrdinalEncode();
                default -> throw new EngineException("--encode: unknown '" + o.encode + "' (onehot, ordinal)");
            });
        }
        steps.add(new Standardize());
        return steps;
    }

    static Impute impute(String spec) {
        String s = spec.strip().toLowerCase(Locale.ROOT);
        if (s.startsWith("constant:")) {
            try {
                float v = Float.parseFloat(s.substring("constant:".length()));
                if (!Float.isFinite(v)) throw new NumberFormatException();
                return Impute.constant(v);
            } catch (NumberFormatException e) {
                throw new EngineException("--impute " + spec + ": constant:VALUE needs a finite number");
            }
        }
        return switch (s) {
            case "median" -> Impute.median();
            case "mean" -> Impute.mean();
            case "most-frequent", "most_frequent", "mode" -> Impute.mostFrequent();
            default -> throw new EngineException("--impute: unknown '" + spec + "' (median, mean, most-frequent, constant:VALUE)");
        };
    }

    /** Every part has rows; labels run 0..K-1 without gaps; the training part holds at least two classes. */
    private static void checkParts(Split s, DataOptions o, boolean training) {
        if (training && s.train().size() == 0) throw new EngineException("--data " + o.data + ": the split leaves no training rows");
        if (s.test().size() == 0) throw new EngineException("--data " + o.data + ": the split leaves no test rows (raise --test-fraction)");
        if (!s.train().hasLabels()) throw new EngineException("--data " + o.data + ": no class labels (classification needs a label column)");
        int k = Math.max(s.train().numClasses(), Math.max(s.validation().numClasses(), s.test().numClasses()));
        long[] count = new long[k];
        for (Dataset d : new Dataset[] {s.train(), s.validation(), s.test()}) if (d.size() > 0) for (int l : d.labels()) count[l]++;
        List<Integer> empty = new ArrayList<>();
        for (int c = 0; c < k; c++) if (count[c] == 0) empty.add(c);
        if (!empty.isEmpty() && s.train().classNames().isEmpty())
            throw new EngineException("--data " + o.data + ": labels must run 0.." + (k - 1) + " without gaps, but " + empty.size()
                    + " of them never occur (" + range(empty) + ") while label " + (k - 1) + " does: an out-of-range label?");
        int present = 0;
        int[] trainCount = new int[k];
        for (int l : s.train().labels()) if (trainCount[l]++ == 0) present++;
        if (present == 0) present = 2;   // eval on a test part only
        if (training && present < 2)
            throw new EngineException("--data " + o.data + ": the training rows hold a single class ('" + (s.train().classNames().isEmpty()
                    ? String.valueOf(s.train().labels()[0]) : s.train().classNames().get(s.train().labels()[0])) + "'); a classifier needs at least two");
        if (training && o.valFraction > 0 && s.validation().size() == 0)
            throw new EngineException("--data " + o.data + ": --val-fraction " + o.valFraction + " leaves no validation rows (raise it, or 0 for none)");
    }

    private static String range(List<Integer> v) {
        return v.size() == 1 ? "label " + v.get(0) : v.size() == v.get(v.size() - 1) - v.get(0) + 1
                ? "labels " + v.get(0) + ".." + v.get(v.size() - 1) : "labels " + v.subList(0, Math.min(5, v.size())) + (v.size() > 5 ? "..." : "");
    }

    /** The training data's class names, or "0".."K-1" for numeric labels. */
    private static List<String> classNames(Split s) {
        List<String> names = s.train().classNames();
        if (names != null && !names.isEmpty()) return names;
        int k = Math.max(s.train().numClasses(), s.test().numClasses());
        List<String> out = new ArrayList<>();
        for (int i = 0; i < k; i++) out.add(Integer.toString(i));
        return out;
    }
}
