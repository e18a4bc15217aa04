package dev.engine.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import dev.engine.autograd.Generator;
import dev.engine.nn.TransformerEncoderLayer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A model with two inputs (a sequence and its key-padding mask) through the Predictor and through static
 * int8 calibration: values against the frozen F32 model, and bad calls named in the error.
 */
class MultiInputPredictionTest {
    static final int L = KeyPaddingMaskTest.L, E = KeyPaddingMaskTest.E, N = 3;

    static TransformerEncoderLayer layer(long seed) {
        TransformerEncoderLayer m = new TransformerEncoderLayer(E, 4, 32, 0.0, false, false, new Generator(seed));
        m.eval();
        return m;
    }

    /** Rows of n samples, each {@code width} values of {@code flat}. */
    static float[][] rows(float[] flat, int n, int width) {
        float[][] r = new float[n][];
        for (int i = 0; i < n; i++) r[i] = Arrays.copyOfRange(flat, i * width, (i + 1) * width);
        return r;
    }

    @Test void predictSamplesMatchesTheFrozenModel() {
        TransformerEncoderLayer m = layer(21);
        float[] x = Models.randn(new Random(5), N * L * E, 1), pad = KeyPaddingMaskTest.mask(0, 2, 5);
        try (FrozenModel f = KeyPaddingMaskTest.freezeLayer(m, false, FreezeOptions.defaults());
             FrozenModel g = KeyPaddingMaskTest.freezeLayer(m, false, FreezeOptions.defaults());
             Predictor p = new Predictor(g, null, null)) {
            float[] want = f.run(new float[][]{x, pad}, N);
            Prediction[] got = p.predictSamples(rows(x, N, L * E), rows(pad, N, L));
            assertEquals(N, got.length);
            for (int i = 0; i < N; i++) {
                float[] row = Arrays.copyOfRange(want, i * L * E, (i + 1) * L * E);
                assertArrayEquals(row, got[i].values(), 1e-6f, "sample " + i);
                Prediction one = p.predictSample(Arrays.copyOfRange(x, i * L * E, (i + 1) * L * E), Arrays.copyOfRange(pad, i * L, (i + 1) * L));
                assertArrayEquals(row, one.values(), 1e-6f, "sample " + i + " alone");
            }
            assertEquals(0, p.predictSamples(new float[0][], new float[0][]).length);
        }
    }

    @Test void badMultiInputCallsAreNamed() {
        float[] x = new float[L * E], pad = new float[L];
        try (Predictor p = new Predictor(KeyPaddingMaskTest.freezeLayer(layer(22), false, FreezeOptions.defaults()), null, null)) {
            String single = assertThrows(ShapeException.class, () -> p.predict(x)).getMessage();
            assertTrue(single.contains("key_padding_mask") && single.contains("predictSample"), single);
            assertThrows(ShapeException.class, () -> p.predict(new float[][]{x}));
            String one = assertThrows(ShapeException.class, () -> p.predictSample(x)).getMessage();
            assertTrue(one.contains("1 input given") && one.contains("[x, key_padding_mask]"), one);
            String counts = assertThrows(ShapeException.class, () -> p.predictSamples(new float[][]{x, x}, new float[][]{pad})).getMessage();
            assertTrue(counts.contains("'key_padding_mask' has 1 rows") && counts.contains("has 2"), counts);
            String width = assertThrows(ShapeException.class, () -> p.predictSample(x, new float[L + 1])).getMessage();
            assertTrue(width.contains("input 'key_padding_mask'") && width.contains("needs " + L), width);
            float[] nan = pad.clone();
            nan[2] = Float.NaN;
            String finite = assertThrows(EngineException.class, () -> p.predictSample(x, nan)).getMessage();
            assertTrue(finite.contains("value 3 is NaN"), finite);
            assertThrows(ShapeException.class, () -> p.predictSample(new float[L * E - 1], pad));
            assertThrows(EngineException.class, () -> p.predictSample(x, null));
        }
    }

    @Test void staticInt8CalibratesEveryInput() {
        TransformerEncoderLayer m = layer(23);
        Random r = new Random(6);
        int cal = 16;
        float[] cx = Models.randn(r, cal * L * E, 1);
        int[] pads = new int[cal];
        for (int i = 0; i < cal; i++) pads[i] = i % 4;
        float[] cmask = KeyPaddingMaskTest.mask(pads);
        float[] x = Models.randn(r, N * L * E, 1), pad = KeyPaddingMaskTest.mask(1, 0, 3);
        Quantization q = Quantization.int8Static(rows(cx, cal, L * E), rows(cmask, cal, L));
        assertTrue(q.toString().contains("16 calibration rows"), q.toString());
        try (FrozenModel f32 = KeyPaddingMaskTest.freezeLayer(m, false, FreezeOptions.defaults());
             FrozenModel int8 = KeyPaddingMaskTest.freezeLayer(m, false, FreezeOptions.defaults().quantize(q))) {
            assertTrue(int8.describePlan(N).toLowerCase().contains("int8"), int8.describePlan(N));
            float[] want = f32.run(new float[][]{x, pad}, N), got = int8.run(new float[][]{x, pad}, N);
            double worst = 0, scale = 0;
            for (int i = 0; i < want.length; i++) {
                worst = Math.max(worst, Math.abs(want[i] - got[i]));
                scale = Math.max(scale, Math.abs(want[i]));
            }
            // layer-normed outputs of unit scale: int8 weights and inputs keep them within a few hundredths
            assertTrue(worst > 0 && worst < 0.1 * scale, "int8 vs F32 max difference " + worst + " of " + scale);
        }
    }

    @Test void badMultiInputCalibrationIsNamed() {
        float[][] xs = {new float[L * E], new float[L * E]};
        String counts = assertThrows(ShapeException.class, () -> Quantization.int8Static(xs, new float[][]{new float[L]})).getMessage();
        assertTrue(counts.contains("input 1 has 1 rows") && counts.contains("input 0 has 2"), counts);
        float[][] nan = {new float[L], {0, Float.NaN, 0, 0, 0, 0}};
        String finite = assertThrows(EngineException.class, () -> Quantization.int8Static(xs, nan)).getMessage();
        assertTrue(finite.contains("row 1 of input 1, value 1 is NaN"), finite);
        TransformerEncoderLayer m = layer(24);
        String missing = assertThrows(ShapeException.class, () -> KeyPaddingMaskTest.freezeLayer(m, false,
                FreezeOptions.defaults().quantize(Quantization.int8Static(xs)))).getMessage();
        assertTrue(missing.contains("rows for 1 input") && missing.contains("[x, key_padding_mask]"), missing);
        String width = assertThrows(ShapeException.class, () -> KeyPaddingMaskTest.freezeLayer(m, false,
                FreezeOptions.defaults().quantize(Quantization.int8Static(xs, new float[][]{new float[L], new float[L + 2]})))).getMessage();
        assertTrue(width.contains("row 1 of input 1 has " + (L + 2)) && width.contains("input 'key_padding_mask' needs " + L), width);
    }
}
