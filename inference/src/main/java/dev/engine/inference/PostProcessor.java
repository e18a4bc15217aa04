package dev.engine.inference;

import dev.engine.api.EngineException;
import dev.engine.api.ModelFormatException;
import dev.engine.api.ShapeException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a model's output row into a {@link Prediction}: softmax probabilities with argmax and label names,
 * probabilities passed through, a binary decision at a threshold, multi-label decisions with per-label
 * thresholds, inverse scaling of regression targets, or the raw outputs. Immutable; stored in bundles.
 *
 * <pre>{@code
 * PostProcessor p = PostProcessor.softmax(List.of("cat", "dog"));
 * Prediction r = p.apply(new float[]{0.1f, 2.3f}, 0, 2);   // dog, p = 0.90
 * }</pre>
 */
public final class PostProcessor {
    /** What the outputs mean. */
    public enum Kind { RAW, SOFTMAX, PROBABILITIES, BINARY, MULTI_LABEL, REGRESSION }

    private final Kind kind;
    private final List<String> labels;
    private final float[] thresholds;
    private final float[] scale, shift;

    private PostProcessor(Kind kind, List<String> labels, float[] thresholds, float[] scale, float[] shift) {
        this.kind = kind;
        this.labels = labels == null ? List.of() : List.copyOf(labels);
        this.thresholds = thresholds == null ? new float[0] : thresholds.clone();
        this.scale = scale == null ? new float[0] : scale.clone();
        this.shift = shift == null ? new float[0] : shift.clone();
        if (this.scale.length != this.shift.length) throw new EngineException("post-processing: scale and shift lengths differ");
    }

    /** Raw outputs, argmax as the label. */
    public static PostProcessor raw() { return new PostProcessor(Kind.RAW, null, null, null, null); }
    /** Logits: softmax, argmax, top-k with {@code labels} (may be empty). */
    public static PostProcessor softmax(List<String> labels) { return new PostProcessor(Kind.SOFTMAX, labels, null, null, null); }
    /** Outputs already are probabilities. */
    public static PostProcessor probabilities(List<String> labels) { return new PostProcessor(Kind.PROBABILITIES, labels, null, null, null); }
    /** One logit: sigmoid, positive when at least {@code threshold}; labels {negative, positive}. */
    public static PostProcessor binary(double threshold, String negative, String positive) {
        return new PostProcessor(Kind.BINARY, List.of(negative, positive), new float[]{(float) threshold}, null, null);
    }
    /** One logit per label: sigmoid, each label active at its threshold (one value applies to all). */
    public static PostProcessor multiLabel(List<String> labels, float... thresholds) {
        return new PostProcessor(Kind.MULTI_LABEL, labels, thresholds, null, null);
    }
    /** Regression targets that were standardised: {@code y = out * scale + shift} per output. */
    public static PostProcessor regression(float[] scale, float[] shift) { return new PostProcessor(Kind.REGRESSION, null, null, scale, shift); }

    public Kind kind() { return kind; }
    public List<String> labels() { return labels; }

    /** Post-processes {@code width} outputs starting at {@code offset}. */
    public Prediction apply(float[] out, int offset, int width) {
        if (offset < 0 || width < 1 || offset + width > out.length) throw new ShapeException("post-processing: row of " + width + " at " + offset + " outside " + out.length);
        float[] s = new float[width];
        System.arraycopy(out, offset, s, 0, width);
        List<String> lab = labels.isEmpty() ? null : labels;
        switch (kind) {
            case SOFTMAX: {
                double m = Double.NEGATIVE_INFINITY, sum = 0;
                for (float v : s) m = Math.max(m, v);
                for (int i = 0; i < width; i++) { s[i] = (float) Math.exp(s[i] - m); sum += s[i]; }
                for (int i = 0; i < width; i++) s[i] = (float) (s[i] / sum);
                return best(s, lab);
            }
            case PROBABILITIES: case RAW: {
                Prediction p = best(s, lab);
                return kind == Kind.RAW ? new Prediction(p.index(), p.label(), Double.NaN, s, lab, null) : p;
            }
            case BINARY: {
                double p = width == 1 ? sigmoid(s[0]) : softmax2(s);
                boolean pos = p >= thresholds[0];
                return new Prediction(pos ? 1 : 0, labels.get(pos ? 1 : 0), pos ? p : 1 - p, new float[]{(float) (1 - p), (float) p}, labels,
                        pos ? List.of(labels.get(1)) : List.of());
            }
            case MULTI_LABEL: {
                List<String> active = new ArrayList<>();
                for (int i = 0; i < width; i++) {
                    s[i] = (float) sigmoid(s[i]);
                    float t = thresholds.length == 0 ? 0.5f : thresholds[Math.min(i, thresholds.length - 1)];
                    if (s[i] >= t) active.add(lab != null && i < lab.size() ? lab.get(i) : Integer.toString(i));
                }
                Prediction b = best(s, lab);
                return new Prediction(b.index(), b.label(), b.probability(), s, lab, active);
            }
            case REGRESSION: {
                for (int i = 0; i < width; i++) if (i < scale.length) s[i] = s[i] * scale[i] + shift[i];
                return new Prediction(-1, null, Double.NaN, s, null, null);
            }
            default: throw new IllegalStateException();
        }
    }

    private static double sigmoid(double x) { return 1 / (1 + Math.exp(-x)); }

    private static double softmax2(float[] s) { return 1 / (1 + Math.exp(s[0] - s[1])); }

    private static Prediction best(float[] s, List<String> lab) {
        int b = 0;
        for (int i = 1; i < s.length; i++) if (s[i] > s[b]) b = i;
        return new Prediction(b, lab != null && b < lab.size() ? lab.get(b) : Integer.toString(b), s[b], s, lab, null);
    }

    public byte[] save() {
        ByteWriter w = new ByteWriter().string(kind.name()).i32(labels.size());
        for (String l : labels) w.string(l);
        return w.floats(thresholds).floats(scale).floats(shift).toByteArray();
    }

    public static PostProcessor load(byte[] b) {
        ByteReader r = new ByteReader(b, "post-processing section");
        Kind k;
        String name = r.string("kind");
        try { k = Kind.valueOf(name); } catch (IllegalArgumentException e) { throw r.fail("unknown kind '" + name + "'"); }
        int n = r.count("label count", 4);
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < n; i++) labels.add(r.string("label"));
        float[] th = r.floats("thresholds"), sc = r.floats("scale"), sh = r.floats("shift");
        r.end();
        if (k == Kind.BINARY && (labels.size() != 2 || th.length != 1)) throw r.fail("binary needs 2 labels and 1 threshold");
        if (sc.length != sh.length) throw new ModelFormatException("post-processing section: scale and shift lengths differ");
        return new PostProcessor(k, labels, th, sc, sh);
    }
}
