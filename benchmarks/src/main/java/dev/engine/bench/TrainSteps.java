package dev.engine.bench;

import dev.engine.api.DType;
import dev.engine.autograd.Autocast;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.nn.Module;
import dev.engine.nn.loss.Loss;
import dev.engine.optim.Optimizer;

/**
 * The benchmarks' training step: in its own memory scope, zero grads, forward and loss under
 * {@link Autocast} ({@code precision} F32 for none), backward, optimizer step.
 *
 * <pre>{@code
 * double loss = TrainSteps.step(net, new CrossEntropyLoss(), opt, x, y, DType.BF16, true);
 * }</pre>
 */
final class TrainSteps {
    private TrainSteps() {}

    /** One step; returns the loss when {@code readLoss} (a copy to the host), else NaN. */
    static double step(Module net, Loss loss, Optimizer opt, Tensor x, Tensor y, DType precision, boolean readLoss) {
        try (MemoryScope s = MemoryScope.open()) {
            opt.zeroGrad();
            Tensor l;
            try (Autocast a = Autocast.of(precision)) {
                l = loss.forward(net.forward(x), y);
            }
            l.backward();
            opt.step();
            return readLoss ? l.item() : Double.NaN;
        }
    }
}
