package dev.engine.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.EngineException;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.graph.Traceable;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BF16 frozen inference ({@link Quantization#bf16()}): a single random layer stays within the bf16 rounding
 * bound of its F32 output, the graph holds bf16-rounded Linear weights while convolutions stay F32, bundles
 * store them in two bytes each and round-trip them, version 2 bundles still load, results do not depend on
 * the thread count or the batch, and misuse is refused clearly.
 */
class Bf16InferenceTest {
    @TempDir Path dir;

    private static float[] rows(Random r, int n, int features) {
        float[] x = new float[n * features];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() + 0.2);
        return x;
    }

    /** |bf16 - F32| <= sum_k |x_k w_kj| (2u + u^2) + F32 summation slack, u = 2^-9. */
    @Test void singleLayerWithinTheBf16Bound() {
        Random r = new Random(3);
        int in = 300, out = 37, n = 20;
        float[] w = Models.randn(r, out * in, 0.2), b = Models.randn(r, out, 0.1);
        Traceable layer = (t, x) -> t.linear(x, w, out, in, b);
        float[] x = rows(r, n, in);
        try (FrozenModel f32 = Freezer.freeze(layer, new long[]{1, in}, FreezeOptions.defaults());
             FrozenModel bf = Freezer.freeze(layer, new long[]{1, in}, FreezeOptions.defaults().quantize(Quantization.bf16()))) {
            float[] ref = f32.run(x, n), got = bf.run(x, n);
            double u = Math.pow(2, -9);
            boolean differs = false;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < out; j++) {
                    double mag = 0;
                    for (int k = 0; k < in; k++) mag += Math.abs((double) x[i * in + k] * w[j * in + k]);
                    double bound = mag * (2 * u + u * u) + 2 * in * Math.ulp(1f) * (mag + Math.abs(b[j]));
                    double err = Math.abs(got[i * out + j] - ref[i * out + j]);
                    differs |= err > 0;
                    assertTrue(err <= bound, "element (" + i + ", " + j + "): error " + err + " above " + bound);
                }
            assertTrue(differs, "bf16 rounding should show");
        }
    }

    @Test void linearWeightsAreBf16AndConvolutionsStayF32() {
        try (FrozenModel m = Freezer.freeze(Models.tinyCnn(2), new long[]{1, 2, 8, 8}, FreezeOptions.defaults().quantize(Quantization.bf16()))) {
            long bf16 = 0;
            for (Node n : m.graph().nodes()) {
                if (n.kind() == OpKind.CONV2D) assertTrue(!Bf16Conversion.isBf16(n) && n.constOrNull("weight") != null, n.name() + " stays F32");
                if (n.kind() != OpKind.LINEAR) continue;
                assertTrue(Bf16Conversion.isBf16(n) && n.name().endsWith("+bf16"), n.name());
                for (float v : n.constOrNull("weightT").data()) assertTrue(Bf16Conversion.isBf16Value(v), "weight " + v + " is not a bf16 value");
                bf16++;
            }
            assertEquals(1, bf16);
            assertTrue(m.describePlan(1).contains("+bf16"), m.describePlan(1));
        }
    }

    @Test void identicalForAnyThreadCountAndBatch() {
        Random r = new Random(6);
        float[] x = rows(r, 64, 64);
        Backend cpu = Backends.get("cpu");
        int before = cpu.threads();
        try (FrozenModel m = Freezer.freeze(Models.tinyMlp(7, 64, 256, 10), new long[]{1, 64},
                FreezeOptions.defaults().backend(cpu).quantize(Quantization.bf16()))) {
            cpu.setThreads(1);
            float[] one = m.run(x, 64);
            cpu.setThreads(2);
            float[] two = m.run(x, 64);
            assertArrayEquals(one, two);
            assertArrayEquals(Arrays.copyOfRange(two, 30, 40), m.run(Arrays.copyOfRange(x, 3 * 64, 4 * 64), 1));
        } finally {
            cpu.setThreads(before);
        }
    }

    @Test void unpackedWeightsGiveTheSameModel() {
        float[] x = rows(new Random(8), 8, 4);
        try (FrozenModel a = Freezer.freeze(Models.tinyMlp(1, 4, 6, 3), new long[]{1, 4}, FreezeOptions.defaults().quantize(Quantization.bf16()));
             FrozenModel b = Freezer.freeze(Models.tinyMlp(1, 4, 6, 3), new long[]{1, 4},
                     FreezeOptions.defaults().without(FreezeOptions.Pass.PACK_WEIGHTS).quantize(Quantization.bf16()))) {
            assertArrayEquals(a.run(x, 8), b.run(x, 8));
        }
    }

    @Test void bundleRoundTripsBf16WeightsInHalfTheSpace() throws Exception {
        float[] x = rows(new Random(10), 16, 64);
        Traceable model = Models.tinyMlp(11, 64, 128, 10);
        try (FrozenModel f32 = Freezer.freeze(model, new long[]{1, 64}, FreezeOptions.defaults());
             FrozenModel bf = Freezer.freeze(model, new long[]{1, 64}, FreezeOptions.defaults().quantize(Quantization.bf16()))) {
            Path pf = dir.resolve("f32.model"), pb = dir.resolve("bf16.model");
            Bundle.save(pf, f32, null, null);
            Bundle.save(pb, bf, null, null);
            long sf = Files.size(pf), sb = Files.size(pb);
            assertTrue(sb < sf * 0.55, "bf16 bundle " + sb + " bytes vs F32 " + sf);
            assertEquals(Bundle.VERSION, ByteBuffer.wrap(Files.readAllBytes(pb)).getInt(8));  // bf16 weights need format 3 or later
            try (Predictor p = Predictor.load(pb)) {
                assertArrayEquals(bf.run(x, 16), p.model().run(x, 16));
                assertEquals(3, p.model().graph().nodes().stream().filter(Bf16Conversion::isBf16).count());
            }
        }
    }

    /** A bundle written in format 2 (int8-era: tags F32 and int8 only) still loads and predicts the same. */
    @Test void versionTwoBundlesStillLoad() {
        float[] x = rows(new Random(12), 4, 16);
        try (FrozenModel m = Freezer.freeze(Models.tinyMlp(13, 16, 32, 5), new long[]{1, 16}, FreezeOptions.defaults())) {
            byte[] b = Bundle.toBytes(m.graph(), null, null);
            ByteBuffer h = ByteBuffer.wrap(b);
            int headerLen = Bundle.HEADER_FIXED + h.getInt(12) * Bundle.ENTRY + 4;
            h.putInt(8, 2);
            h.putInt(headerLen - 4, Bundle.crc(b, 0, headerLen - 4));
            Bundle old = Bundle.fromBytes(b);
            try (FrozenModel m2 = new FrozenModel(old.graph(), Backends.get("cpu"), java.util.List.of("v2"))) {
                assertArrayEquals(m.run(x, 4), m2.run(x, 4));
            }
        }
    }

    @Test void misuseIsRefusedClearly() {
        EngineException e = assertThrows(EngineException.class, () -> Quantization.bf16().observer(Quantization.Observer.minMax()));
        assertTrue(e.getMessage().contains("bf16"), e.getMessage());
        assertTrue(!Quantization.bf16().convolutions() && !Quantization.bf16().excludingConvolutions().convolutions());
        assertTrue(Quantization.int8Dynamic().convolutions() && !Quantization.int8Dynamic().excludingConvolutions().convolutions());
        assertEquals("bf16", Quantization.bf16().toString());
        assertTrue(Quantization.bf16().isBf16() && !Quantization.bf16().isStatic() && !Quantization.int8Dynamic().isBf16());
    }
}
