package dev.engine.inference;

import dev.engine.data.RowTransform;
import dev.engine.api.ShapeException;

/**
 * Per-feature {@code x * scale + shift} (a fitted standard or min-max scaler); a single scale/shift value
 * applies to every feature.
 *
 * <pre>{@code
 * RowTransform t = AffineTransform.of(new float[]{1 / 16f}, new float[]{0});   // pixels 0..16 to 0..1
 * }</pre>
 */
public final class AffineTransform implements RowTransform {
    static final String TYPE = "affine";
    private final float[] scale, shift;

    private AffineTransform(float[] scale, float[] shift) {
        if (scale.length != shift.length || scale.length == 0) throw new ShapeException("affine transform: scale and shift need equal, non-zero lengths");
        this.scale = scale.clone();
        this.shift = shift.clone();
    }

    public static AffineTransform of(float[] scale, float[] shift) { return new AffineTransform(scale, shift); }

    @Override public float[] apply(float[] row) {
        if (scale.length > 1 && row.length != scale.length)
            throw new ShapeException("affine transform: row has " + row.length + " features, expected " + scale.length);
        float[] r = new float[row.length];
        for (int i = 0; i < r.length; i++) {
            int j = scale.length == 1 ? 0 : i;
            r[i] = row[i] * scale[j] + shift[j];
        }
        return r;
    }

    @Override public byte[] save() { return new ByteWriter().floats(scale).floats(shift).toByteArray(); }
    @Override public String type() { return TYPE; }
    @Override public int inputSize() { return scale.length > 1 ? scale.length : -1; }

    static AffineTransform load(byte[] b) {
        ByteReader r = new ByteReader(b, "preprocessing section (affine)");
        float[] sc = r.floats("scale"), sh = r.floats("shift");
        r.end();
        if (sc.length != sh.length || sc.length == 0) throw r.fail("scale and shift need equal, non-zero lengths");
        return new AffineTransform(sc, sh);
    }
}
