package dev.engine.data;

import dev.engine.api.EngineException;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * Per-channel image normalisation {@code (x - mean[c]) / std[c]} for rows of shape {@code [C, H, W]}
 * (channel first; any number of trailing dimensions). Either with given values (then it needs no
 * fitting) or with the mean and population standard deviation of each channel over the training images
 * ({@link #fromData()}).
 *
 * <pre>{@code
 * var mnist = new ImageNormalize(new float[] {33.32f}, new float[] {78.57f});   // raw 0..255 pixels
 * var fitted = ImageNormalize.fromData().fit(train);                           // learn them instead
 * Dataset x = fitted.apply(test);
 * }</pre>
 */
public final class ImageNormalize extends AffineStep {
    private final float[] mean, std;   // per channel; null in an unfitted fromData()

    /** Normalises with these per-channel values (one entry per channel, or one for all channels). */
    public ImageNormalize(float[] mean, float[] std) { this(check(mean, std), std.clone(), null); }

    private ImageNormalize(float[] mean, float[] std, int[] shape) {
        super(shape, shape == null ? null : expand(shape, mean, std)[0], shape == null ? null : expand(shape, mean, std)[1]);
        this.mean = mean;
        this.std = std;
    }

    /** Normalises with per-channel statistics learned from the training images. */
    public static ImageNormalize fromData() { return new ImageNormalize(null, null, null); }

    @Override public String kind() { return "image-normalize"; }

    @Override boolean fitsWithoutStatistics() { return mean != null; }

    /** The per-channel means (after fitting, one per channel). */
    public float[] channelMean() { requireFitted(); return mean.clone(); }

    /** The per-channel standard deviations (after fitting, one per channel). */
    public float[] channelStd() { requireFitted(); return std.clone(); }

    @Override
    public ImageNormalize fit(Dataset train) {
        int[] shape = train.featureShape();
        if (shape.length < 2) {
            throw new EngineException("image-normalize needs image rows [C, H, W], got shape " + Arrays.toString(shape)
                    + " (use Standardize or Scale for flat rows)");
        }
        int c = shape[0];
        if (mean != null) {
            if (mean.length != 1 && mean.length != c) {
                throw new EngineException("image-normalize: " + mean.length + " channel values for " + c + " channels");
            }
            float[] m = mean.length == c ? mean : filled(c, mean[0]);
            float[] s = std.length == c ? std : filled(c, std[0]);
            return new ImageNormalize(m, s, shape);
        }
        int per = Dataset.product(shape) / c;
        float[] x = train.rawFeatures();
        float[] m = new float[c], s = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double sum = 0, sq = 0;
            long cnt = 0;
            for (int i = 0; i < train.size(); i++) {
                int base = i * c * per + ch * per;
                for (int k = 0; k < per; k++) {
                    float v = x[base + k];
                    if (!Float.isNaN(v)) { sum += v; cnt++; }
                }
            }
            double mu = cnt == 0 ? 0 : sum / cnt;
            for (int i = 0; i < train.size(); i++) {
                int base = i * c * per + ch * per;
                for (int k = 0; k < per; k++) {
                    float v = x[base + k];
                    if (!Float.isNaN(v)) sq += (v - mu) * (v - mu);
                }
            }
            double sd = cnt == 0 ? 0 : Math.sqrt(sq / cnt);
            m[ch] = (float) mu;
            s[ch] = sd > 0 ? (float) sd : 1f;
        }
        return new ImageNormalize(m, s, shape);
    }

    @Override
    void writeState(DataOutput out) throws IOException {
        StateIo.writeInts(out, shape);
        StateIo.writeFloats(out, mean);
        StateIo.writeFloats(out, std);
    }

    static ImageNormalize read(DataInput in) throws IOException {
        int[] shape = StateIo.readInts(in);
        float[] m = StateIo.readFloats(in), s = StateIo.readFloats(in);
        StateIo.check(shape.length >= 2 && Arrays.stream(shape).allMatch(d -> d > 0) && m.length == shape[0] && s.length == shape[0],
                "image-normalize state does not match its shape");
        return new ImageNormalize(check(m, s), s, shape);
    }

    private static float[] check(float[] mean, float[] std) {
        if (mean.length == 0 || mean.length != std.length) {
            throw new EngineException("image-normalize needs as many means as deviations (at least one): "
                    + mean.length + " vs " + std.length);
        }
        for (int i = 0; i < std.length; i++) {
            if (!(std[i] > 0) || !Float.isFinite(std[i]) || !Float.isFinite(mean[i])) {
                throw new EngineException("image-normalize: channel " + i + " has mean " + mean[i] + ", std " + std[i]
                        + " (std must be finite and > 0)");
            }
        }
        return mean.clone();
    }

    private static float[][] expand(int[] shape, float[] mean, float[] std) {
        int c = shape[0], per = Dataset.product(shape) / c;
        float[] sc = new float[c * per], sh = new float[c * per];
        for (int ch = 0; ch < c; ch++) {
            float s = 1f / std[ch], b = -mean[ch] / std[ch];
            Arrays.fill(sc, ch * per, (ch + 1) * per, s);
            Arrays.fill(sh, ch * per, (ch + 1) * per, b);
        }
        return new float[][] {sc, sh};
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }
}
