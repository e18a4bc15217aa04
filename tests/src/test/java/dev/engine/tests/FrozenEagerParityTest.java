package dev.engine.tests;

import dev.engine.inference.Freezer;
import static org.junit.jupiter.api.Assertions.*;

import dev.engine.autograd.GradMode;
import dev.engine.autograd.Generator;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.FrozenModel;
import dev.engine.nn.*;
import dev.engine.nn.Module;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Frozen output equals eager eval-mode output for every freezable layer type and for whole models, with
 * all passes on and with every pass off. Tolerance: 1e-4 absolute + relative (F32; fusion reorders sums).
 */
class FrozenEagerParityTest {
    private static void assertParity(Module model, long... shape) {
        Generator g = new Generator(11);
        try (MemoryScope s = MemoryScope.open(); GradMode ng = GradMode.noGrad()) {
            Tensor x = Tensor.randn(g, shape);
            model.eval();
            float[] eager = model.forward(x).toFloatArray();
            for (FreezeOptions opts : new FreezeOptions[]{FreezeOptions.defaults(), FreezeOptions.none()}) {
                try (FrozenModel f = Freezer.freeze(model, x, opts)) {
                    float[] frozen = f.run(x).toFloatArray();
                    assertEquals(eager.length, frozen.length);
                    for (int i = 0; i < eager.length; i++)
                        assertEquals(eager[i], frozen[i], 1e-4 * (1 + Math.abs(eager[i])), model.getClass().getSimpleName() + " " + opts + " element " + i);
                    // a different batch size gets its own plan and still matches
                    long[] one = shape.clone();
                    one[0] = 1;
                    float[] eager1 = model.forward(x.narrow(0, 0, 1)).toFloatArray();
                    float[] frozen1 = f.run(x.narrow(0, 0, 1).contiguous()).toFloatArray();
                    for (int i = 0; i < eager1.length; i++) assertEquals(eager1[i], frozen1[i], 1e-4 * (1 + Math.abs(eager1[i])));
                }
            }
        }
    }

    /** Gives batch-norm layers non-trivial running statistics by a few training-mode passes. */
    private static Module warm(Module m, long... shape) {
        Generator g = new Generator(5);
        m.train();
        try (MemoryScope s = MemoryScope.open(); GradMode ng = GradMode.noGrad()) {
            for (int i = 0; i < 3; i++) m.forward(Tensor.randn(g, shape).mul(2).add(0.5));
        }
        return m;
    }

    @Test void everyLayerTypeAlone() {
        Generator g = new Generator(1);
        assertParity(new Linear(6, 4, g), 3, 6);
        assertParity(new ReLU(), 3, 6);
        assertParity(new LeakyReLU(0.2), 3, 6);
        assertParity(new GELU(), 3, 6);
        assertParity(new Sigmoid(), 3, 6);
        assertParity(new Tanh(), 3, 6);
        assertParity(new Softmax(-1), 3, 6);
        assertParity(new Dropout(0.5, 3), 3, 6);
        assertParity(new Flatten(), 2, 3, 4);
        assertParity(new LayerNorm(6), 3, 6);
        assertParity(warm(new BatchNorm1d(6), 8, 6), 3, 6);
        assertParity(new Conv2d(3, 4, new int[]{3, 3}, new int[]{2, 2}, new int[]{1, 1}, new int[]{1, 1}, 1, true, g), 2, 3, 9, 9);
        assertParity(new Conv2d(4, 4, new int[]{3, 3}, new int[]{1, 1}, new int[]{2, 2}, new int[]{2, 2}, 2, true, g), 2, 4, 8, 8);
        assertParity(warm(new BatchNorm2d(3), 4, 3, 5, 5), 2, 3, 5, 5);
        assertParity(new MaxPool2d(2), 2, 3, 8, 8);
        assertParity(new AvgPool2d(3, 2, 1), 2, 3, 7, 7);
        assertParity(new AdaptiveAvgPool2d(3, 2), 2, 3, 7, 5);
        assertParity(new Residual(new Sequential(new Linear(6, 6, g), new ReLU())), 3, 6);
    }

    @Test void mlpAndCnnModels() {
        Generator g = new Generator(2);
        assertParity(new Sequential(new Linear(64, 128, g), new ReLU(), new Dropout(0.1, 1), new Linear(128, 10, g)), 8, 64);
        Supplier<Module> lenet = () -> new Sequential(
                new Conv2d(1, 6, 5, g), new BatchNorm2d(6), new ReLU(), new MaxPool2d(2),
                new Conv2d(6, 16, 5, g), new ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(256, 120, g), new GELU(), new Linear(120, 84, g), new Tanh(), new Linear(84, 10, g));
        assertParity(warm(lenet.get(), 4, 1, 28, 28), 4, 1, 28, 28);
    }
}
