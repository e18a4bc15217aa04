package dev.engine.inference;

import dev.engine.data.RowTransform;
import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.EngineException;
import dev.engine.api.ModelFormatException;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import java.nio.file.Path;
import java.util.List;

/**
 * The embedding API: a bundle loaded and ready to answer raw input rows. Preprocessing, the frozen
 * model and post-processing run inside; calls are thread-safe and, after each thread's first call per
 * batch size, allocate no native memory. Every bad input is an {@link EngineException}: a missing or
 * corrupt bundle, a row of the wrong length, a non-finite value (NaN counts as missing: the bundle's
 * imputer fills it, or the call fails), or a model output that is not finite.
 *
 * <pre>{@code
 * try (Predictor p = Predictor.load(Path.of("digits.model"))) {
 *     Prediction r = p.predict(pixels);
 *     System.out.println(r.label() + " " + r.probability() + " " + r.topK(3));
 * }
 * }</pre>
 */
public final class Predictor implements AutoCloseable {
    private final FrozenModel model;
    private final RowTransform pre;
    private final PostProcessor post;

    public Predictor(FrozenModel model, RowTransform pre, PostProcessor post) {
        this.model = model;
        this.pre = pre == null ? RowTransforms.IDENTITY : pre;
        this.post = post == null ? PostProcessor.raw() : post;
    }

    /** Loads a bundle onto the preferred backend. */
    public static Predictor load(Path path) {
        if (path == null) throw new EngineException("predictor: bundle path is null");
        return load(path, Backends.preferred());
    }

    /** Loads a bundle, or an ONNX file (name ending in ".onnx": imported and frozen, no pre/post-processing), onto {@code backend}. */
    public static Predictor load(Path path, Backend backend) {
        if (path == null || backend == null) throw new EngineException("predictor: bundle path and backend are required");
        if (path.getFileName() != null && path.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx"))
            return new Predictor(dev.engine.inference.onnx.Onnx.load(path, null, FreezeOptions.defaults().backend(backend)), null, null);
        return of(Bundle.load(path), backend, path.toString(), String.valueOf(path.getFileName()));
    }

    /**
     * Loads a bundle from its bytes (as {@link Bundle#toBytes} writes them, e.g. read from a distributed file
     * system) onto {@code backend}; {@code source} names it in errors.
     */
    public static Predictor load(byte[] bundle, Backend backend, String source) {
        if (bundle == null || backend == null) throw new EngineException("predictor: bundle bytes and backend are required");
        String name = source == null ? "bundle bytes" : source;
        Bundle b;
        try {
            b = Bundle.fromBytes(bundle);
        } catch (ModelFormatException e) {
            throw new ModelFormatException(name + ": " + e.getMessage(), e);
        }
        return of(b, backend, name, name);
    }

    private static Predictor of(Bundle b, Backend backend, String source, String name) {
        FrozenModel m;
        try {
            m = new FrozenModel(b.graph(), backend, List.of("loaded from " + name));
        } catch (ModelFormatException e) {
            throw e;
        } catch (EngineException e) {
            throw new ModelFormatException("bundle " + source + ": its graph cannot run: " + e.getMessage(), e);
        }
        return new Predictor(m, b.preprocessing(), b.postProcessor());
    }

    public FrozenModel model() { return model; }
    public PostProcessor postProcessor() { return post; }
    public RowTransform preprocessing() { return pre; }

    /** One raw row. */
    public Prediction predict(float[] row) {
        requireOneInput();
        float[] x = prepare(row, "row 0");
        float[] out = model.run(x, 1);
        checkOutput(out, 0, out.length, 0);
        return post.apply(out, 0, out.length);
    }

    /**
     * The model's input for one raw row (preprocessing applied, every value finite, the model's width), or an
     * {@link EngineException} naming the row as {@code where} (e.g. "partition 3, row 17"). With
     * {@link #predictPrepared} this lets a caller set bad rows aside one by one and still run the rest as a batch.
     */
    public float[] prepare(float[] row, String where) {
        if (row == null) throw new EngineException("predictor: " + where + " is null");
        int n = pre.inputSize();
        if (n >= 0 && row.length != n)
            throw new ShapeException("predictor: " + where + " has " + row.length + " values, the bundle's preprocessing expects " + n);
        for (int j = 0; j < row.length; j++) {
            if (Float.isInfinite(row[j])) throw new EngineException("predictor: " + where + ", value " + (j + 1) + " is " + row[j] + "; inputs must be finite");
        }
        float[] x;
        try {
            x = pre.apply(row);
        } catch (EngineException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new EngineException("predictor: " + where + ": " + e.getMessage(), e);
        }
        for (int j = 0; j < x.length; j++) {
            if (!Float.isFinite(x[j]))
                throw new EngineException("predictor: " + where + ": model input " + (j + 1) + " is " + x[j] + " after preprocessing"
                        + (Float.isNaN(x[j]) ? " (a missing value and no imputer in the bundle)" : ""));
        }
        int f = model.inputFeatures();
        if (x.length != f)
            throw new ShapeException("predictor: " + where + " has " + x.length + " features after preprocessing, the model's input is "
                    + Shapes.str(model.sampleShape()).replace("[", "[batch, ") + " = " + f + " per row");
        return x;
    }

    private static void checkOutput(float[] out, int off, int len, int row) {
        for (int j = off; j < off + len; j++) {
            if (!Float.isFinite(out[j]))
                throw new EngineException("predictor: row " + row + ": the model's output " + (j - off + 1) + " is " + out[j]
                        + " (inputs far outside the training range?)");
        }
    }

    /** Several raw rows, run as one batch. */
    public Prediction[] predict(float[][] rows) {
        requireOneInput();
        if (rows == null) throw new EngineException("predictor: rows is null");
        if (rows.length == 0) return new Prediction[0];
        int f = model.inputFeatures();
        float[] x = new float[Math.multiplyExact(rows.length, f)];
        for (int i = 0; i < rows.length; i++) System.arraycopy(prepare(rows[i], "row " + i), 0, x, i * f, f);
        return predictPrepared(x, rows.length);
    }

    /**
     * Runs {@code n} rows already {@link #prepare prepared}, laid out one after another in {@code x}
     * ({@code n} times the model's input features), as one batch.
     */
    public Prediction[] predictPrepared(float[] x, int n) {
        requireOneInput();
        if (x == null || n < 1 || x.length != (long) n * model.inputFeatures())
            throw new ShapeException("predictor: " + (x == null ? "null" : x.length + " values") + " for " + n + " prepared rows of "
                    + model.inputFeatures() + " features");
        return predictions(model.run(x, n), n);
    }

    /**
     * One sample of a model with several inputs (e.g. a token sequence and its key-padding mask): one raw
     * row per input, in {@code model().inputNames()} order. The preprocessing applies to the first input;
     * the others go to the model as given and must be finite and of their input's size.
     *
     * <pre>{@code
     * try (Predictor p = Predictor.load(Path.of("encoder.onnx"))) {   // inputs [x, key_padding_mask]
     *     Prediction r = p.predictSample(tokens, mask);
     * }
     * }</pre>
     */
    public Prediction predictSample(float[]... inputs) {
        if (inputs == null) throw new EngineException("predictor: inputs is null");
        float[][][] rows = new float[inputs.length][][];
        for (int k = 0; k < inputs.length; k++) rows[k] = new float[][]{inputs[k]};
        return predictSamples(rows)[0];
    }

    /**
     * Several samples of a model with several inputs, run as one batch: {@code inputs[k][i]} is the raw row
     * of input {@code k} (in {@code model().inputNames()} order) for sample {@code i}; see {@link #predictSample}.
     */
    public Prediction[] predictSamples(float[][]... inputs) {
        List<String> names = model.inputNames();
        if (inputs == null) throw new EngineException("predictor: inputs is null");
        if (inputs.length != names.size())
            throw new ShapeException("predictor: " + inputs.length + " input" + (inputs.length == 1 ? "" : "s") + " given, the model takes "
                    + names.size() + " " + names + ", in that order");
        for (int k = 0; k < inputs.length; k++) {
            if (inputs[k] == null) throw new EngineException("predictor: input '" + names.get(k) + "' is null");
            if (inputs[k].length != inputs[0].length)
                throw new ShapeException("predictor: input '" + names.get(k) + "' has " + inputs[k].length + " rows, input '" + names.get(0) + "' has "
                        + inputs[0].length + "; every input needs one row per sample");
        }
        int n = inputs[0].length;
        if (n == 0) return new Prediction[0];
        float[][] packed = new float[inputs.length][];
        int f = model.inputFeatures();
        packed[0] = new float[Math.multiplyExact(n, f)];
        for (int i = 0; i < n; i++) System.arraycopy(prepare(inputs[0][i], "row " + i), 0, packed[0], i * f, f);
        for (int k = 1; k < inputs.length; k++) {
            int width = Shapes.numelInt(model.inputShape(k, 1));
            packed[k] = new float[Math.multiplyExact(n, width)];
            for (int i = 0; i < n; i++) {
                float[] row = inputs[k][i];
                String where = "predictor: row " + i + " of input '" + names.get(k) + "'";
                if (row == null) throw new EngineException(where + " is null");
                if (row.length != width) throw new ShapeException(where + " has " + row.length + " values, the model's input needs " + width);
                for (int j = 0; j < width; j++)
                    if (!Float.isFinite(row[j])) throw new EngineException(where + ", value " + (j + 1) + " is " + row[j] + "; inputs must be finite");
                System.arraycopy(row, 0, packed[k], i * width, width);
            }
        }
        return predictions(model.run(packed, n), n);
    }

    private void requireOneInput() {
        List<String> names = model.inputNames();
        if (names.size() > 1)
            throw new ShapeException("predictor: the model takes " + names.size() + " inputs " + names + "; use predictSample or predictSamples");
    }

    private Prediction[] predictions(float[] out, int n) {
        int w = out.length / n;
        Prediction[] r = new Prediction[n];
        for (int i = 0; i < n; i++) {
            checkOutput(out, i * w, w, i);
            r[i] = post.apply(out, i * w, w);
        }
        return r;
    }

    @Override public void close() { model.close(); }
}
