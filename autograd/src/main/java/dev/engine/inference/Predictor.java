package dev.engine.inference;

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
 * batch size, allocate no native memory.
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
    public static Predictor load(Path path) { return load(path, Backends.preferred()); }

    /** Loads a bundle, or an ONNX file (name ending in ".onnx": imported and frozen, no pre/post-processing). */
    public static Predictor load(Path path, Backend backend) {
        if (path.getFileName() != null && path.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx"))
            return new Predictor(dev.engine.inference.onnx.Onnx.load(path, null, FreezeOptions.defaults().backend(backend)), null, null);
        Bundle b = Bundle.load(path);
        FrozenModel m;
        try {
            m = new FrozenModel(b.graph(), backend, List.of("loaded from " + path.getFileName()));
        } catch (ModelFormatException e) {
            throw e;
        } catch (EngineException e) {
            throw new ModelFormatException("bundle " + path + ": its graph cannot run: " + e.getMessage(), e);
        }
        return new Predictor(m, b.preprocessing(), b.postProcessor());
    }

    public FrozenModel model() { return model; }
    public PostProcessor postProcessor() { return post; }
    public RowTransform preprocessing() { return pre; }

    /** One raw row. */
    public Prediction predict(float[] row) {
        float[] x = pre.apply(row);
        float[] out = model.run(x, 1);
        return post.apply(out, 0, out.length);
    }

    /** Several raw rows, run as one batch. */
    public Prediction[] predict(float[][] rows) {
        if (rows.length == 0) return new Prediction[0];
        int f = model.inputFeatures();
        float[] x = new float[Math.multiplyExact(rows.length, f)];
        for (int i = 0; i < rows.length; i++) {
            float[] t = pre.apply(rows[i]);
            if (t.length != f)
                throw new ShapeException("predictor: row " + i + " has " + t.length + " features after preprocessing, the model expects "
                        + Shapes.str(model.sampleShape()) + " = " + f);
            System.arraycopy(t, 0, x, i * f, f);
        }
        float[] out = model.run(x, rows.length);
        int w = out.length / rows.length;
        Prediction[] r = new Prediction[rows.length];
        for (int i = 0; i < rows.length; i++) r[i] = post.apply(out, i * w, w);
        return r;
    }

    @Override public void close() { model.close(); }
}
