package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.Layout;
import org.junit.jupiter.api.Test;

/**
 * The fused attention kernel gives bit-identical results for 1, 2, 3 and 7 threads (each output row is
 * computed the same way whatever task or thread it falls in), with and without the causal mask, on a
 * packed [B, L, 3E] projection as the frozen transformer feeds it.
 */
class AttentionThreadsTest extends CpuTestBase {
    private double[] run(int threads, double[] qkv, boolean causal, int bn, int l, int heads, int d) {
        int before = BE.threads();
        BE.setThreads(threads);
        try {
            int e = heads * d;
            Buffer in = buf(DType.F32, qkv), out = alloc(DType.F32, (long) bn * l * e);
            Layout head = new Layout(new long[]{bn, heads, l, d}, new long[]{(long) l * 3 * e, d, 3L * e, 1}, 0);
            BE.attention(new BufferView(in, head), new BufferView(in, head.withOffset(e)), new BufferView(in, head.withOffset(2L * e)), null, causal,
                    1 / Math.sqrt(d), new BufferView(out, new Layout(new long[]{bn, heads, l, d}, new long[]{(long) l * e, d, e, 1}, 0)));
            return read(out);
        } finally {
            BE.setThreads(before);
        }
    }

    @Test
    void anyThreadCountGivesTheSameBits() {
        int bn = 3, l = 70, heads = 4, d = 32;
        double[] qkv = randn(bn * l * 3 * heads * d);
        for (boolean causal : new boolean[]{false, true}) {
            double[] one = run(1, qkv, causal, bn, l, heads, d);
            for (int t : new int[]{2, 3, 7}) assertArrayEquals(one, run(t, qkv, causal, bn, l, heads, d), 0.0, t + " threads, causal " + causal);
        }
    }
}
