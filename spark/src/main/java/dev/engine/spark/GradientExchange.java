package dev.engine.spark;

import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The messages of a gradient-averaging step. A worker's contribution: rows (int), loss (double), then per
 * parameter a present flag (byte) and its gradient (float32) when present. The reduced result, computed once
 * by worker 0 and applied by all: workers (int), each worker's rows and loss, then per parameter a flag and the
 * row-weighted mean gradient. Little-endian throughout.
 */
final class GradientExchange {
    private GradientExchange() {}

    /** This worker's batch; {@code rows} = 0 for a worker whose shard has no batch at this step. */
    static byte[] encode(int rows, double loss, List<Tensor> params) {
        int bytes = 4 + 8;
        for (Tensor p : params) bytes += 1 + (rows > 0 && p.grad() != null ? 4 * (int) p.numel() : 0);
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(rows).putDouble(loss);
        for (Tensor p : params) {
            boolean has = rows > 0 && p.grad() != null;
            b.put((byte) (has ? 1 : 0));
            if (has) for (float v : p.grad().toFloatArray()) b.putFloat(v);
        }
        return b.array();
    }

    /**
     * The row-weighted mean of the workers' gradients (sum of rows x gradient over all rows: the gradient of the
     * mean loss over the union of the batches), summed in double in worker order; with one worker it is that
     * worker's gradient exactly. A parameter no worker sent a gradient for has none; workers that did not
     * send one count as zeros.
     */
    static byte[] reduce(byte[][] messages, List<Tensor> params) {
        int n = messages.length;
        ByteBuffer[] in = new ByteBuffer[n];
        int[] rows = new int[n];
        long total = 0;
        int bytes = 4 + 12 * n;
        for (Tensor p : params) bytes += 1 + 4 * (int) p.numel();
        ByteBuffer out = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(n);
        for (int w = 0; w < n; w++) {
            in[w] = ByteBuffer.wrap(messages[w]).order(ByteOrder.LITTLE_ENDIAN);
            rows[w] = in[w].getInt();
            total += rows[w];
            out.putInt(rows[w]).putDouble(in[w].getDouble());
        }
        for (Tensor p : params) {
            int size = (int) p.numel();
            double[] sum = new double[size];
            boolean any = false;
            for (int w = 0; w < n; w++) {
                if (in[w].get() == 0) continue;
                any = true;
                double r = rows[w];
                for (int j = 0; j < size; j++) sum[j] += r * in[w].getFloat();
            }
            out.put((byte) (any ? 1 : 0));
            if (any) for (int j = 0; j < size; j++) out.putFloat((float) (sum[j] / total));
        }
        return out.flip().limit() == bytes ? out.array() : java.util.Arrays.copyOf(out.array(), out.limit());
    }

    /** Every worker's rows and loss at this step. */
    record Step(int[] rows, double[] losses) {}

    /** Sets every parameter's gradient from the reduced result (or clears it where there is none). */
    static Step apply(byte[] reduced, List<Tensor> params) {
        ByteBuffer b = ByteBuffer.wrap(reduced).order(ByteOrder.LITTLE_ENDIAN);
        int n = b.getInt();
        int[] rows = new int[n];
        double[] losses = new double[n];
        for (int w = 0; w < n; w++) { rows[w] = b.getInt(); losses[w] = b.getDouble(); }
        for (Tensor p : params) {
            if (b.get() == 0) { p.setGrad(null); continue; }
            float[] mean = new float[(int) p.numel()];
            b.asFloatBuffer().get(mean);
            b.position(b.position() + 4 * mean.length);
            try (MemoryScope s = MemoryScope.open(); GradMode m = GradMode.noGrad()) {
                Tensor t = Tensor.of(mean, p.shape());
                if (p.grad() != null) p.grad().copyFrom(t);
                else p.setGrad(MemoryScope.detach(t.to(p.dtype())));
            }
        }
        return new Step(rows, losses);
    }
}
