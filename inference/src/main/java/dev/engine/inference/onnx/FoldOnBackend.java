package dev.engine.inference.onnx;

import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.Layout;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs an elementwise program over constant operands on the CPU backend once, at import time, so a
 * folded activation of a constant gives exactly the bits the kernel would (no second implementation of
 * GELU or sigmoid in Java). Buffers are freed before returning.
 *
 * <pre>{@code
 * float[] y = FoldOnBackend.run(ElementwiseProgram.single(ElementwiseOp.TANH, 0), List.of(c), c.shape());
 * }</pre>
 */
final class FoldOnBackend {
    private FoldOnBackend() {}

    static float[] run(ElementwiseProgram p, List<ConstTensor> operands, long[] outShape) {
        Backend be = Backends.cpu();
        List<Buffer> bufs = new ArrayList<>();
        try {
            BufferView[] ins = new BufferView[operands.size()];
            for (int i = 0; i < ins.length; i++) {
                ConstTensor c = operands.get(i);
                Buffer b = be.allocate(DType.F32, Math.max(1, c.size()));
                bufs.add(b);
                be.copyIn(c.asFloats(), 0, b, 0, c.size());
                ins[i] = new BufferView(b, Layout.contiguous(c.shape()).broadcastTo(outShape));
            }
            int n = (int) ConstTensor.numel(outShape, "folded constant");
            Buffer out = be.allocate(DType.F32, Math.max(1, n));
            bufs.add(out);
            be.elementwise(p, ins, BufferView.of(out, outShape));
            float[] r = new float[n];
            be.copyOut(out, 0, r, 0, n);
            return r;
        } finally {
            for (Buffer b : bufs) b.close();
        }
    }
}
