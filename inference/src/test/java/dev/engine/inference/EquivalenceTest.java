package dev.engine.inference;

import dev.engine.graph.Traceable;
import dev.engine.graph.Value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.DTypeException;
import dev.engine.api.ShapeException;
import dev.engine.autograd.Functional;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Optimised frozen models equal the unfused graph (and eager tensors) within 1e-5. */
class EquivalenceTest {
    static void assertSame(Traceable model, long[] sample, int... batches) {
        try (FrozenModel fused = Freezer.freeze(model, sample, FreezeOptions.defaults());
             FrozenModel plain = Freezer.freeze(model, sample, FreezeOptions.none())) {
            assertTrue(fused.graph().nodes().size() < plain.graph().nodes().size(), "passes changed nothing:\n" + fused.describePlan(1));
            int feat = fused.inputFeatures();
            for (int b : batches) {
                float[] x = Models.randn(new Random(b), b * feat, 1);
                assertArrayEquals(plain.run(x, b), fused.run(x, b), 1e-5f, "batch " + b + "\n" + fused.describePlan(b));
            }
        }
    }

    @Test void mlp() { assertSame(Models.tinyMlp(1, 7, 16, 4), new long[]{1, 7}, 1, 3, 8); }

    @Test void cnn() { assertSame(Models.tinyCnn(2), new long[]{1, 2, 8, 8}, 1, 2, 5); }

    /**
     * Convolution + ReLU + 2x2 max pool chains run as one fused call (16-filter vectors and wide planes), a
     * convolution whose output something else also reads does not, and all equal the unfused graph.
     */
    @Test void convReluPoolChains() {
        Random r = new Random(5);
        Traceable model = Models.convReluPoolChains(5);
        assertSame(model, new long[]{1, 1, 28, 28}, 1, 3, 9);
        try (FrozenModel f = Freezer.freeze(model, new long[]{1, 1, 28, 28}, FreezeOptions.defaults())) {
            String table = StepTiming.table(f.profile(new float[][]{Models.randn(r, 2 * 784, 1)}, 2, 2));
            assertTrue(table.contains("conv1+bias+relu+maxpool") && table.contains("conv2+bias+relu+maxpool") && table.contains("(fused above)"), table);
            assertTrue(!table.contains("conv3+relu+maxpool"), table);
            ExecutionPlan fusedPlan = f.plan(9), unfused = ExecutionPlan.build(f.graph(), 9);
            assertTrue(fusedPlan.fusedWithNext(0) && !unfused.fusedWithNext(0), fusedPlan.toString());
            // the fused convolutions' outputs get no memory (here 155520 -> 41472 bytes)
            assertTrue(fusedPlan.arenaBytes() < unfused.arenaBytes() / 2, fusedPlan + "\n" + unfused);
            assertTrue(fusedPlan.toString().contains("@fused"), fusedPlan.toString());
            // a fused step writes the pool's output while it reads its input: they must not share memory
            ArenaPlannerTest.assertNoLiveOverlap(fusedPlan.arenaIntervals());
        }
    }

    @Test void residual() { assertSame(Models.residual(3, 12, 5), new long[]{1, 12}, 1, 4, 9); }

    @Test void matmulAndEmbedding() {
        Random r = new Random(4);
        float[] table = Models.randn(r, 10 * 4, 1), m = Models.randn(r, 4 * 3, 1);
        Traceable model = (t, x) -> {
            Value e = t.embedding(x, table, 10, 4);                  // [b, 5, 4]
            Value y = t.matmul(e, t.constant(m, 4, 3));              // [b, 5, 3]
            return t.logSoftmax(t.tanh(t.reshape(y, 15)));
        };
        try (FrozenModel f = Freezer.freeze(model, new long[]{1, 5}, FreezeOptions.defaults())) {
            float[] idx = {0, 3, 9, 2, 2, 1, 1, 1, 1, 7};
            float[] got = f.run(idx, 2);
            assertEquals(30, got.length);
            for (int b = 0; b < 2; b++) {
                double[] z = new double[15];
                for (int p = 0; p < 5; p++) for (int j = 0; j < 3; j++) {
                    double s = 0;
                    for (int k = 0; k < 4; k++) s += table[(int) idx[b * 5 + p] * 4 + k] * m[k * 3 + j];
                    z[p * 3 + j] = Math.tanh(s);
                }
                double mx = -1e9, sum = 0;
                for (double v : z) mx = Math.max(mx, v);
                for (double v : z) sum += Math.exp(v - mx);
                for (int i = 0; i < 15; i++) assertEquals(z[i] - mx - Math.log(sum), got[b * 15 + i], 1e-5);
            }
        }
    }

    @Test void mlpMatchesEagerTensors() {
        Random r = new Random(5);
        float[] w1 = Models.randn(r, 8 * 6, 0.5), b1 = Models.randn(r, 8, 0.1), w2 = Models.randn(r, 3 * 8, 0.5), b2 = Models.randn(r, 3, 0.1);
        Traceable model = (t, x) -> t.linear(t.relu(t.linear(x, w1, 8, 6, b1)), w2, 3, 8, b2);
        float[] x = Models.randn(r, 4 * 6, 1);
        float[] eager;
        try (MemoryScope s = MemoryScope.open()) {
            Tensor h = Functional.linear(Tensor.of(x, 4, 6), Tensor.of(w1, 8, 6), Tensor.of(b1, 8)).relu();
            eager = Functional.linear(h, Tensor.of(w2, 3, 8), Tensor.of(b2, 3)).toFloatArray();
        }
        try (FrozenModel f = Freezer.freeze(model, new long[]{1, 6}, FreezeOptions.defaults())) {
            assertArrayEquals(eager, f.run(x, 4), 1e-5f);
            Prediction[] ps = f.predict(x, 4, PostProcessor.softmax(java.util.List.of("a", "b", "c")));
            for (int i = 0; i < 4; i++) {
                int best = 0;
                for (int j = 1; j < 3; j++) if (eager[i * 3 + j] > eager[i * 3 + best]) best = j;
                assertEquals(best, ps[i].index());
            }
            try (MemoryScope s = MemoryScope.open()) {
                Tensor out = f.run(Tensor.of(x, 4, 6));
                assertArrayEquals(new long[]{4, 3}, out.shape());
                assertArrayEquals(eager, out.toFloatArray(), 1e-5f);
            }
        }
    }

    @Test void wrongInputsNameTheExpectedShape() {
        try (FrozenModel f = Freezer.freeze(Models.tinyCnn(1), new long[]{1, 2, 8, 8}, FreezeOptions.defaults())) {
            var e = assertThrows(ShapeException.class, () -> f.run(new float[100], 1));
            assertTrue(e.getMessage().contains("[batch, 2, 8, 8]"), e.getMessage());
            assertThrows(ShapeException.class, () -> f.run(new float[128], 0));
            try (MemoryScope s = MemoryScope.open()) {
                var d = assertThrows(DTypeException.class, () -> f.run(Tensor.zeros(dev.engine.api.DType.F64, 1, 2, 8, 8)));
                assertTrue(d.getMessage().contains("[batch, 2, 8, 8]"), d.getMessage());
                assertThrows(ShapeException.class, () -> f.run(Tensor.zeros(1, 2, 8, 9)));
            }
        }
    }
}
