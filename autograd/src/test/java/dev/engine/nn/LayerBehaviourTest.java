package dev.engine.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.DType;
import dev.engine.api.ShapeException;
import dev.engine.autograd.Generator;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Parameter names, init, modes, running statistics, dropout reproducibility and state-dict round trips. */
class LayerBehaviourTest {
    @Test void parameterNamesMatchPyTorch() {
        var seq = new Sequential(new Linear(2, 3), new ReLU(), new BatchNorm1d(3), new Linear(3, 1, false));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "2.running_mean", "2.running_var", "2.num_batches_tracked", "3.weight"),
                List.copyOf(seq.stateDict().keySet()));
        var block = new TransformerEncoderLayer(8, 2, 16, 0.1);
        assertEquals(List.of("self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
                        "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"),
                List.copyOf(block.stateDict().keySet()));
        assertArrayEquals(new long[]{24, 8}, block.stateDict().get("self_attn.in_proj_weight").shape());
        assertArrayEquals(new long[]{16, 8}, block.stateDict().get("linear1.weight").shape());
        var conv = new Conv2d(4, 6, new int[]{3, 2}, new int[]{1, 1}, new int[]{0, 0}, new int[]{1, 1}, 2, true, new Generator(0));
        assertArrayEquals(new long[]{6, 2, 3, 2}, conv.weight().shape());
        assertEquals(0, new BatchNorm2d(3).stateDict().get("num_batches_tracked").dim());
        assertEquals(DType.I64, new BatchNorm2d(3).stateDict().get("num_batches_tracked").dtype());
        assertTrue(new Residual(new Linear(2, 2)).stateDict().containsKey("fn.weight"));
    }

    @Test void identicalSeedsGiveIdenticalModels() {
        var a = new Sequential(new Linear(5, 7, new Generator(3)), new Conv2d(1, 2, 3, new Generator(4)));
        var b = new Sequential(new Linear(5, 7, new Generator(3)), new Conv2d(1, 2, 3, new Generator(4)));
        var c = new Sequential(new Linear(5, 7, new Generator(8)), new Conv2d(1, 2, 3, new Generator(4)));
        for (String k : a.stateDict().keySet())
            assertArrayEquals(a.stateDict().get(k).toFloatArray(), b.stateDict().get(k).toFloatArray(), k);
        assertFalse(java.util.Arrays.equals(a.stateDict().get("0.weight").toFloatArray(), c.stateDict().get("0.weight").toFloatArray()));
        Init.manualSeed(11);
        float[] w1 = new Linear(3, 3).weight().toFloatArray();
        Init.manualSeed(11);
        assertArrayEquals(w1, new Linear(3, 3).weight().toFloatArray());
    }

    @Test void defaultInitBoundsAndInitFunctions() {
        Linear l = new Linear(100, 50, new Generator(1));
        double bound = 1 / Math.sqrt(100);
        double max = 0, sumSq = 0;
        for (float v : l.weight().toFloatArray()) { max = Math.max(max, Math.abs(v)); sumSq += v * v; }
        assertTrue(max <= bound && max > 0.95 * bound, "kaiming_uniform(a=sqrt5) bound 1/sqrt(fan_in), max " + max);
        assertEquals(bound * bound / 3, sumSq / 5000, 0.1 * bound * bound / 3);   // variance of U(-b, b)
        for (float v : l.bias().toFloatArray()) assertTrue(Math.abs(v) <= bound);
        Tensor t = Tensor.empty(DType.F32, 200, 300);
        Init.xavierUniform(t, 1, new Generator(2));
        double xb = Math.sqrt(6.0 / 500);
        for (float v : t.toFloatArray()) assertTrue(Math.abs(v) <= xb);
        Init.kaimingNormal(t, 0, new Generator(3));
        double s = 0;
        for (float v : t.toFloatArray()) s += v * v;
        assertEquals(2.0 / 300, s / 60000, 0.05 * 2.0 / 300);
        Init.xavierNormal(t, 2, new Generator(4));
        s = 0;
        for (float v : t.toFloatArray()) s += v * v;
        assertEquals(4 * 2.0 / 500, s / 60000, 0.05 * 8.0 / 500);
        assertArrayEquals(new long[]{3 * 4 * 5, 2 * 4 * 5}, Init.fans(Tensor.empty(DType.F32, 2, 3, 4, 5)));
    }

    @Test void batchNormRunningStatsAndEval() {
        try (MemoryScope s = MemoryScope.open()) {
            BatchNorm1d bn = new BatchNorm1d(2);
            Tensor x = Tensor.of(new float[]{1, 10, 3, 20, 5, 30}, 3, 2);
            bn.forward(x);
            bn.forward(x);
            assertEquals(2, bn.stateDict().get("num_batches_tracked").item());
            // mean {3, 20}, unbiased var {4, 100}; two updates with momentum 0.1
            assertArrayEquals(new float[]{3 * 0.19f, 20 * 0.19f}, bn.runningMean().toFloatArray(), 1e-5f);
            assertArrayEquals(new float[]{0.81f + 4 * 0.19f, 0.81f + 100 * 0.19f}, bn.runningVar().toFloatArray(), 1e-4f);
            bn.eval();
            float[] y = bn.forward(x).toFloatArray();
            float rm0 = 3 * 0.19f, rv0 = 0.81f + 4 * 0.19f;
            assertEquals((1 - rm0) / Math.sqrt(rv0 + 1e-5), y[0], 1e-5);
            assertEquals(2, bn.stateDict().get("num_batches_tracked").item(), "eval does not count batches");
            // cumulative average when momentum is NaN (PyTorch momentum=None)
            BatchNorm1d cum = new BatchNorm1d(2, 1e-5, Double.NaN, true, true);
            cum.forward(x);
            cum.forward(Tensor.of(new float[]{3, 20, 5, 30, 7, 40}, 3, 2));
            assertArrayEquals(new float[]{4, 25}, cum.runningMean().toFloatArray(), 1e-5f);
        }
    }

    @Test void dropoutIsReproducibleAndTrainOnly() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor x = Tensor.ones(4, 50);
            Dropout a = new Dropout(0.5, 42), b = new Dropout(0.5, 42);
            float[] a1 = a.forward(x).toFloatArray(), a2 = a.forward(x).toFloatArray();
            assertArrayEquals(a1, b.forward(x).toFloatArray(), "same seed, same first mask");
            assertFalse(java.util.Arrays.equals(a1, a2), "offset advances");
            assertEquals(400, a.offset());
            a.setOffset(0);
            assertArrayEquals(a1, a.forward(x).toFloatArray(), "replay from offset 0");
            a.eval();
            assertSame(x, a.forward(x));
            for (float v : a1) assertTrue(v == 0 || v == 2);
        }
    }

    @Test void stateDictRoundTripReproducesOutputsExactly() {
        Generator g = new Generator(5);
        var a = new Sequential(new Conv2d(1, 2, 3, g).padding(1), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(2 * 4 * 4, 3, g));
        var b = new Sequential(new Conv2d(1, 2, 3, new Generator(9)).padding(1), new BatchNorm2d(2), new ReLU(), new Flatten(),
                new Linear(2 * 4 * 4, 3, new Generator(9)));
        Tensor x = Tensor.randn(new Generator(6), 2, 1, 4, 4);
        a.forward(x);                 // move a's running stats away from the defaults
        a.eval();
        b.eval();
        float[] ya = a.forward(x).toFloatArray();
        assertFalse(java.util.Arrays.equals(ya, b.forward(x).toFloatArray()));
        b.loadStateDict(a.stateDict());
        assertArrayEquals(ya, b.forward(x).toFloatArray());
        var mha1 = new MultiHeadAttention(4, 2, 0, new Generator(1));
        var mha2 = new MultiHeadAttention(4, 2, 0, new Generator(2));
        Tensor q = Tensor.randn(new Generator(7), 1, 3, 4);
        mha2.loadStateDict(mha1.stateDict());
        try (GradMode ng = GradMode.noGrad()) { assertArrayEquals(mha1.forward(q).toFloatArray(), mha2.forward(q).toFloatArray()); }
    }

    @Test void mismatchedStateDictFailsNamingTheKey() {
        var small = new Sequential(new Linear(2, 3), new Linear(3, 1));
        var big = new Sequential(new Linear(2, 4), new Linear(4, 1));
        ShapeException e = assertThrows(ShapeException.class, () -> small.loadStateDict(big.stateDict()));
        assertTrue(e.getMessage().contains("'0.weight'") && e.getMessage().contains("[4, 2]") && e.getMessage().contains("'1.weight'"), e.getMessage());
        Map<String, Tensor> partial = new LinkedHashMap<>(small.stateDict());
        partial.remove("1.bias");
        partial.put("2.weight", Tensor.zeros(1));
        ShapeException e2 = assertThrows(ShapeException.class, () -> small.loadStateDict(partial));
        assertTrue(e2.getMessage().contains("missing keys [1.bias]") && e2.getMessage().contains("unexpected keys [2.weight]"), e2.getMessage());
    }

    @Test void shapeErrorsNameTheLayer() {
        var e = assertThrows(ShapeException.class, () -> new Conv2d(3, 4, 3).forward(Tensor.zeros(1, 2, 5, 5)));
        assertTrue(e.getMessage().contains("conv2d"), e.getMessage());
        var e2 = assertThrows(ShapeException.class, () -> new BatchNorm2d(3).forward(Tensor.zeros(2, 4, 2, 2)));
        assertTrue(e2.getMessage().contains("BatchNorm2d(3)"), e2.getMessage());
        var e3 = assertThrows(ShapeException.class, () -> new Linear(3, 2).forward(Tensor.zeros(2, 4)));
        assertTrue(e3.getMessage().contains("linear"), e3.getMessage());
    }

    @Test void toStringShowsTreeAndCount() {
        String s = new Sequential(new Linear(2, 3), new ReLU()).toString();
        assertTrue(s.contains("(0): Linear(in=2, out=3, bias=true)") && s.contains("(1): ReLU()") && s.contains("parameters: 9"), s);
    }
}
