package dev.engine.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.autograd.Generator;
import dev.engine.autograd.GradCheck;
import dev.engine.autograd.Tensor;
import org.junit.jupiter.api.Test;

/** Gradient checks (F64, finite differences) of every layer with respect to its input and parameters. */
class LayerGradTest {
    private static Tensor input(long seed, long... shape) {
        int n = 1;
        for (long s : shape) n *= (int) s;
        return Tensor.of(GradCheck.random(seed, n), shape);
    }

    @Test void linear() {
        ModuleGradCheck.check(new Linear(4, 3, new Generator(1)), input(1, 2, 4));
        ModuleGradCheck.check(new Linear(4, 3, false, new Generator(2)), input(2, 2, 3, 4));
    }

    @Test void conv2dWithStridePaddingDilationGroups() {
        ModuleGradCheck.check(new Conv2d(2, 3, 3, new Generator(3)), input(3, 2, 2, 5, 5));
        ModuleGradCheck.check(new Conv2d(2, 2, 3, new Generator(4)).stride(2).padding(1), input(4, 1, 2, 6, 5));
        ModuleGradCheck.check(new Conv2d(1, 2, 2, new Generator(5)).dilation(2).padding(1), input(5, 1, 1, 5, 5));
        ModuleGradCheck.check(new Conv2d(4, 2, new int[]{2, 3}, new int[]{1, 2}, new int[]{1, 0}, new int[]{1, 1}, 2, true, new Generator(6)),
                input(6, 2, 4, 4, 5));
    }

    @Test void pooling() {
        ModuleGradCheck.check(new MaxPool2d(2), input(7, 2, 2, 4, 4));
        ModuleGradCheck.check(new MaxPool2d(3, 2, 1), input(8, 1, 2, 5, 5));
        ModuleGradCheck.check(new AvgPool2d(2), input(9, 2, 2, 4, 4));
        ModuleGradCheck.check(new AvgPool2d(3, 2, 1), input(10, 1, 2, 5, 5));
        ModuleGradCheck.check(new AdaptiveAvgPool2d(2, 3), input(11, 1, 2, 5, 7));
        ModuleGradCheck.check(new Flatten(), input(12, 2, 2, 3));
    }

    @Test void batchNormTrainingMode() {
        ModuleGradCheck.check(new BatchNorm1d(3), input(13, 4, 3));
        ModuleGradCheck.check(new BatchNorm1d(2), input(14, 3, 2, 4));
        ModuleGradCheck.check(new BatchNorm2d(3), input(15, 2, 3, 2, 2));
        BatchNorm2d bn = new BatchNorm2d(2);
        bn.eval();
        ModuleGradCheck.check(bn, input(16, 2, 2, 2, 2));
    }

    @Test void layerNorm() {
        ModuleGradCheck.check(new LayerNorm(5), input(17, 2, 3, 5));
        ModuleGradCheck.check(new LayerNorm(new long[]{2, 3}, 1e-5, true), input(18, 2, 2, 3));
    }

    @Test void embedding() {
        Tensor idx = Tensor.ofLongs(new long[]{3, 0, 3, 1, 4, 2}, 2, 3);
        ModuleGradCheck.check(new Embedding(5, 3, new Generator(19)), idx);
        // the padding row starts at zero and gets no gradient (PyTorch's padding_idx)
        Embedding padded = new Embedding(5, 3, 0, new Generator(20));
        assertArrayEquals(new float[]{0, 0, 0}, padded.weight().narrow(0, 0, 1).toFloatArray());
        padded.forward(idx).sum().backward();
        assertArrayEquals(new float[]{0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1}, padded.weight().grad().toFloatArray());
    }

    @Test void activations() {
        Tensor x = input(21, 3, 4);
        for (Module m : new Module[]{new ReLU(), new LeakyReLU(0.1), new GELU(), new GELU(true), new Sigmoid(), new Tanh(), new Softmax(-1), new Softmax(0)})
            ModuleGradCheck.check(m, x);
    }

    @Test void sequentialAndResidual() {
        Generator g = new Generator(22);
        ModuleGradCheck.check(new Sequential(new Linear(3, 4, g), new Tanh(), new Residual(new Sequential(new Linear(4, 4, g), new GELU())),
                new Linear(4, 2, g)), input(23, 5, 3));
    }

    @Test void multiHeadAttentionWithMasks() {
        Generator g = new Generator(24);
        MultiHeadAttention mha = new MultiHeadAttention(4, 2, 0, g);
        Tensor x = input(25, 2, 3, 4);
        ModuleGradCheck.check(mha, x);
        ModuleGradCheck.check(mha, x, t -> mha.forward(t, t, t, null, null, true));
        Tensor pad = Tensor.of(new double[]{0, 0, 1, 0, 0, 0}, 2, 3);
        ModuleGradCheck.check(mha, x, t -> mha.forward(t, t, t, pad, null, true));
        Tensor kv = input(26, 2, 5, 4);
        ModuleGradCheck.check(mha, x, t -> mha.forward(t, kv, kv, Tensor.of(new double[]{0, 0, 0, 1, 1, 0, 0, 0, 0, 0}, 2, 5), null, false));
    }

    @Test void transformerEncoderLayer() {
        Generator g = new Generator(27);
        TransformerEncoderLayer post = new TransformerEncoderLayer(4, 2, 6, 0.0, false, false, g);
        Tensor x = input(28, 2, 3, 4);
        ModuleGradCheck.check(post, x, t -> post.forward(t, Tensor.of(new double[]{0, 0, 0, 0, 0, 1}, 2, 3), true));
        TransformerEncoderLayer pre = new TransformerEncoderLayer(4, 2, 6, 0.0, true, true, g);
        ModuleGradCheck.check(pre, x);
    }

    @Test void dropoutModuleGradientUsesItsMask() {
        // the mask advances with every call, so each evaluation uses a fresh module (same seed, offset 0)
        ModuleGradCheck.check(new Module() {
            @Override public Tensor forward(Tensor x) { return new Dropout(0.3, 5).forward(x); }
        }, input(29, 4, 5));
    }
}
