package dev.engine.data;

import dev.engine.api.EngineException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable table of {@code n} examples: float features (row-major, each row of a fixed
 * {@link #featureShape()} such as {@code [64]} or {@code [1, 28, 28]}) plus either integer class
 * labels (classification), float targets (regression) or nothing (unlabeled). Optional metadata: column
 * names (one per feature), class names, and for categorical columns the vocabulary that their codes
 * index ({@code categories(col).get(code)}). Missing values are {@code NaN} until imputed.
 *
 * <p>Nothing here depends on tensors: a {@link DataLoader} turns a dataset into batches of plain arrays.
 *
 * <pre>{@code
 * Dataset d = Dataset.classification(new float[] {0, 1, 2, 3}, new int[] {2}, new int[] {0, 1});
 * d.size();            // 2
 * d.row(1);            // {2, 3}
 * d.numClasses();      // 2
 * Dataset first = d.subset(new int[] {0});
 * }</pre>
 */
public final class Dataset {
    private final int n;
    private final int[] featureShape;
    private final int featureSize;
    private final float[] x;          // n * featureSize, row-major
    private final int[] labels;       // n, or null
    private final float[] targets;    // n * targetWidth, or null
    private final int targetWidth;
    private final List<String> columnNames;              // empty or featureSize entries
    private final List<String> classNames;               // empty or >= max label + 1 entries
    private final Map<Integer, List<String>> categories; // column -> vocabulary
    private final int numClasses;

    private Dataset(float[] x, int[] featureShape, int[] labels, float[] targets, int targetWidth,
                    List<String> columnNames, List<String> classNames, Map<Integer, List<String>> categories) {
        this(x, featureShape, labels, targets, targetWidth, columnNames, classNames, categories, -1);
    }

    /** {@code knownClasses}: the class count of the dataset this one derives from, or -1 to derive it here. */
    private Dataset(float[] x, int[] featureShape, int[] labels, float[] targets, int targetWidth,
                    List<String> columnNames, List<String> classNames, Map<Integer, List<String>> categories,
                    int knownClasses) {
        this.featureShape = checkShape(featureShape);
        this.featureSize = product(featureShape);
        if (x.length % Math.max(1, featureSize) != 0) {
            throw new EngineException("features length " + x.length + " is not a multiple of the row size "
                    + featureSize + " (shape " + Arrays.toString(featureShape) + ")");
        }
        this.n = featureSize == 0 ? 0 : x.length / featureSize;
        this.x = x;
        if (labels != null && labels.length != n) {
            throw new EngineException(n + " feature rows but " + labels.length + " labels");
        }
        if (labels != null) {
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] < 0) throw new EngineException("label of row " + i + " is negative: " + labels[i]);
            }
        }
        if (targets != null && (targetWidth <= 0 || targets.length != (long) n * targetWidth)) {
            throw new EngineException(n + " feature rows but " + targets.length + " target values (width "
                    + targetWidth + ")");
        }
        this.labels = labels;
        this.targets = targets;
        this.targetWidth = targets == null ? 0 : targetWidth;
        this.columnNames = List.copyOf(columnNames);
        if (!this.columnNames.isEmpty() && this.columnNames.size() != featureSize) {
            throw new EngineException(this.columnNames.size() + " column names for " + featureSize + " features");
        }
        this.classNames = List.copyOf(classNames);
        if (labels != null && !this.classNames.isEmpty()) {
            int max = maxLabel(labels);
            if (max >= this.classNames.size()) {
                throw new EngineException("label " + max + " but only " + this.classNames.size() + " class names");
            }
        }
        TreeMap<Integer, List<String>> cats = new TreeMap<>();
        for (Map.Entry<Integer, List<String>> e : categories.entrySet()) {
            if (e.getKey() < 0 || e.getKey() >= featureSize) {
                throw new EngineException("categorical column " + e.getKey() + " out of range 0.." + (featureSize - 1));
            }
            cats.put(e.getKey(), List.copyOf(e.getValue()));
        }
        this.categories = Collections.unmodifiableMap(cats);
        int k = labels == null ? 0 : !this.classNames.isEmpty() ? this.classNames.size()
                : Math.max(knownClasses, maxLabel(labels) + 1);
        this.numClasses = k;
    }

    /** A classification dataset; the arrays are copied. */
    public static Dataset classification(float[] features, int[] featureShape, int[] labels) {
        return new Dataset(features.clone(), featureShape.clone(), labels.clone(), null, 0, List.of(), List.of(), Map.of());
    }

    /** A regression dataset with one float target per row; the arrays are copied. */
    public static Dataset regression(float[] features, int[] featureShape, float[] targets) {
        return new Dataset(features.clone(), featureShape.clone(), null, targets.clone(), 1, List.of(), List.of(), Map.of());
    }

    /** A regression dataset with {@code targetWidth} float targets per row (row-major); arrays copied. */
    public static Dataset regression(float[] features, int[] featureShape, float[] targets, int targetWidth) {
        return new Dataset(features.clone(), featureShape.clone(), null, targets.clone(), targetWidth, List.of(), List.of(), Map.of());
    }

    /** A dataset without labels or targets (e.g. inputs to predict); the array is copied. */
    public static Dataset unlabeled(float[] features, int[] featureShape) {
        return new Dataset(features.clone(), featureShape.clone(), null, null, 0, List.of(), List.of(), Map.of());
    }

    /** Trusted constructor for this package: no copies. */
    static Dataset of(float[] x, int[] shape, int[] labels, float[] targets, int targetWidth,
                      List<String> columnNames, List<String> classNames, Map<Integer, List<String>> categories) {
        return new Dataset(x, shape, labels, targets, targetWidth, columnNames, classNames, categories);
    }

    /** The same rows with these column names (one per feature). */
    public Dataset withColumnNames(List<String> names) {
        return new Dataset(x, featureShape, labels, targets, targetWidth, names, classNames, categories, numClasses);
    }

    /** The same rows with these class names ({@code classNames.get(label)}). */
    public Dataset withClassNames(List<String> names) {
        return new Dataset(x, featureShape, labels, targets, targetWidth, columnNames, names, categories);
    }

    /** The same rows with column {@code column} marked categorical: its values are codes into {@code vocabulary}. */
    public Dataset withCategories(int column, List<String> vocabulary) {
        Map<Integer, List<String>> c = new TreeMap<>(categories);
        c.put(column, vocabulary);
        return new Dataset(x, featureShape, labels, targets, targetWidth, columnNames, classNames, c, numClasses);
    }

    /** Same labels/targets and class names, new features (not copied); for preprocessors. */
    Dataset withFeatures(float[] features, int[] shape, List<String> names, Map<Integer, List<String>> cats) {
        return new Dataset(features, shape, labels, targets, targetWidth, names, classNames, cats, numClasses);
    }

    /** Number of rows. */
    public int size() { return n; }

    /** The shape of one row, e.g. {@code [64]} or {@code [1, 28, 28]} (a copy). */
    public int[] featureShape() { return featureShape.clone(); }

    /** Number of floats in one row (the product of the feature shape). */
    public int featureSize() { return featureSize; }

    /** True for a classification dataset. */
    public boolean hasLabels() { return labels != null; }

    /** True for a regression dataset. */
    public boolean hasTargets() { return targets != null; }

    /** Targets per row (0 unless {@link #hasTargets()}). */
    public int targetWidth() { return targetWidth; }

    /**
     * Number of classes: the number of class names if given, else the largest label + 1 of the dataset
     * as loaded (a subset keeps its parent's count even if it lacks the last class); 0 without labels.
     */
    public int numClasses() { return numClasses; }

    /** A copy of all features, {@code size() * featureSize()} floats, row-major. */
    public float[] features() { return x.clone(); }

    /** A copy of row {@code i}. */
    public float[] row(int i) {
        float[] r = new float[featureSize];
        copyRow(i, r, 0);
        return r;
    }

    /** Copies row {@code i} into {@code dst} at {@code offset}. */
    public void copyRow(int i, float[] dst, int offset) {
        System.arraycopy(x, checkRow(i) * featureSize, dst, offset, featureSize);
    }

    /** Feature {@code j} (flat index within the row) of row {@code i}. */
    public float feature(int i, int j) {
        if (j < 0 || j >= featureSize) throw new dev.engine.api.IndexOutOfRangeException("feature " + j + " of " + featureSize);
        return x[checkRow(i) * featureSize + j];
    }

    /** A copy of the labels; fails on a dataset without labels. */
    public int[] labels() { return requireLabels().clone(); }

    /** The label of row {@code i}. */
    public int label(int i) { return requireLabels()[checkRow(i)]; }

    /** A copy of the targets ({@code size() * targetWidth()}); fails on a dataset without targets. */
    public float[] targets() { return requireTargets().clone(); }

    /** The (first) target of row {@code i}. */
    public float target(int i) { return requireTargets()[checkRow(i) * targetWidth]; }

    /** Column names, one per feature, or an empty list. */
    public List<String> columnNames() { return columnNames; }

    /** Class names indexed by label, or an empty list. */
    public List<String> classNames() { return classNames; }

    /** The vocabulary of a categorical column (its values are indices into it), or an empty list. */
    public List<String> categories(int column) { return categories.getOrDefault(column, List.of()); }

    /** Whether column {@code column} holds category codes. */
    public boolean isCategorical(int column) { return categories.containsKey(column); }

    /** All categorical columns and their vocabularies (column -> vocabulary), in column order. */
    public Map<Integer, List<String>> categoricalColumns() { return categories; }

    /** The index of the named column; fails with the known names if there is none. */
    public int columnIndex(String name) {
        int i = columnNames.indexOf(name);
        if (i < 0) {
            throw new EngineException("no column '" + name + "'" + (columnNames.isEmpty()
                    ? " (this dataset has no column names)" : "; columns are " + columnNames));
        }
        return i;
    }

    /** Number of missing (NaN) feature values. */
    public long countMissing() {
        long c = 0;
        for (float v : x) if (Float.isNaN(v)) c++;
        return c;
    }

    /**
     * A seeded train/test split ({@code trainFraction} of the rows for training, validation empty);
     * shorthand for {@link Splits#trainTest}. {@code stratified}: {@link Split#STRATIFIED} or {@link Split#RANDOM}.
     */
    public Split split(double trainFraction, long seed, boolean stratified) {
        return Splits.trainTest(this, trainFraction, seed, stratified);
    }

    /** The rows at {@code idx}, in that order (repeats allowed); metadata kept. */
    public Dataset subset(int[] idx) {
        float[] nx = new float[Math.multiplyExact(idx.length, featureSize)];
        int[] nl = labels == null ? null : new int[idx.length];
        float[] nt = targets == null ? null : new float[idx.length * targetWidth];
        for (int k = 0; k < idx.length; k++) {
            int i = checkRow(idx[k]);
            System.arraycopy(x, i * featureSize, nx, k * featureSize, featureSize);
            if (nl != null) nl[k] = labels[i];
            if (nt != null) System.arraycopy(targets, i * targetWidth, nt, k * targetWidth, targetWidth);
        }
        return new Dataset(nx, featureShape, nl, nt, targetWidth, columnNames, classNames, categories, numClasses);
    }

    // package-private raw access for loaders and preprocessors (no copies)
    float[] rawFeatures() { return x; }
    int[] rawLabels() { return labels; }
    float[] rawTargets() { return targets; }

    @Override
    public String toString() {
        String kind = labels != null ? ", classes=" + numClasses() : targets != null ? ", targets=" + targetWidth : "";
        return "Dataset[n=" + n + ", features=" + Arrays.toString(featureShape) + kind + "]";
    }

    private int checkRow(int i) {
        if (i < 0 || i >= n) throw new dev.engine.api.IndexOutOfRangeException("row " + i + " of a dataset with " + n + " rows");
        return i;
    }

    private int[] requireLabels() {
        if (labels == null) throw new EngineException("this dataset has no class labels" + (targets != null ? " (it has regression targets)" : ""));
        return labels;
    }

    private float[] requireTargets() {
        if (targets == null) throw new EngineException("this dataset has no regression targets" + (labels != null ? " (it has class labels)" : ""));
        return targets;
    }

    private static int maxLabel(int[] labels) {
        int m = -1;
        for (int l : labels) m = Math.max(m, l);
        return m;
    }

    private static int[] checkShape(int[] shape) {
        if (shape.length == 0) throw new EngineException("feature shape must have at least one dimension");
        for (int d : shape) {
            if (d <= 0) throw new EngineException("feature shape " + Arrays.toString(shape) + " has a non-positive dimension");
        }
        return shape;
    }

    static int product(int[] shape) {
        long p = 1;
        for (int d : shape) p *= d;
        if (p > Integer.MAX_VALUE) throw new EngineException("feature shape " + Arrays.toString(shape) + " is too large");
        return (int) p;
    }

    /** Names of the columns for messages: the name if known, else the index. */
    String describeColumn(int j) {
        return columnNames.isEmpty() ? "column " + j : "column " + j + " ('" + columnNames.get(j) + "')";
    }

    static List<String> defaultNames(String prefix, int count) {
        List<String> l = new ArrayList<>(count);
        for (int i = 0; i < count; i++) l.add(prefix + i);
        return l;
    }
}
