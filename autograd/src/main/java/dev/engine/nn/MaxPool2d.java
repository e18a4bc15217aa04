package dev.engine.nn;

import dev.engine.api.EngineException;
import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.autograd.Functional;
import dev.engine.autograd.Tensor;
import java.util.Arrays;

/**
 * 2-D max pooling (no parameters); stride defaults to the kernel size as in PyTorch.
 *
 * <pre>{@code
 * Tensor y = new MaxPool2d(2).forward(x);   // [N, C, 28, 28] -> [N, C, 14, 14]
 * }</pre>
 */
public class MaxPool2d extends Module {
    private final int[] kernel, stride, padding;

    public MaxPool2d(int[] kernel, int[] stride, int[] padding) {
        this.kernel = kernel.clone(); this.stride = stride.clone(); this.padding = padding.clone();
    }

    public MaxPool2d(int kernel, int stride, int padding) { this(new int[]{kernel, kernel}, new int[]{stride, stride}, new int[]{padding, padding}); }

    public MaxPool2d(int kernel) { this(kernel, kernel, 0); }

    @Override public Tensor forward(Tensor x) { return Functional.maxPool2d(x, kernel, stride, padding); }

    @Override public String describe() {
        return "MaxPool2d(kernel=" + Arrays.toString(kernel) + ", stride=" + Arrays.toString(stride) + ", padding=" + Arrays.toString(padding) + ")";
    }

    @Override public Value trace(Tracer t, Value x) {
        if (kernel[0] != kernel[1] || stride[0] != stride[1] || padding[0] != padding[1])
            throw new EngineException("MaxPool2d: freezing supports square windows only");
        return t.maxPool2d(x, kernel[0], stride[0], padding[0]);
    }
}
