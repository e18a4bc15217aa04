package dev.engine.autograd;

import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;

/**
 * Inverted dropout: {@code y = x * mask} with the mask from the backend's counter-based Philox generator,
 * so the same (seed, offset) gives the same mask on every backend. The gradient is {@code g * mask}.
 */
final class DropoutOp {
    private DropoutOp() {}

    private static final ElementwiseProgram MUL = ElementwiseProgram.single(ElementwiseOp.MUL, 0);

    static Tensor dropout(Tensor x, double p, long seed, long offset) {
        x.checkOpen();
        ElementwiseOps.checkFloating("dropout", x);
        if (!(p >= 0 && p <= 1)) throw new EngineException("dropout: probability " + p + " outside [0, 1]");
        if (offset < 0) throw new EngineException("dropout: negative Philox offset " + offset);
        Tensor mask = Tensor.empty(x.backend(), x.dtype(), x.shape());
        x.backend().dropoutMask(seed, offset, p, mask.buffer(), mask.numel());
        Tensor y = ElementwiseOps.run(MUL, x.shape(), x.dtype(), x, mask);
        return y.recordedBy(new Backward(x, mask));
    }

    private static final class Backward extends Node {
        Backward(Tensor x, Tensor mask) { super(x); save(mask); }

        @Override public String name() { return "dropout"; }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor mask = saved(0);
            return new Tensor[]{ElementwiseOps.run(MUL, mask.shape(), mask.dtype(), g, mask)};
        }
    }
}
