package dev.engine.nn;

import dev.engine.api.EngineException;
import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.autograd.Functional;
import dev.engine.autograd.Tensor;
import java.util.Arrays;

/**
 * 2-D average pooling (no parameters); stride defaults to the kernel, padded zeros count in the divisor
 * unless {@code countIncludePad} is false (PyTorch's defaults).
 *
 * <pre>{@code
 * Tensor y = new AvgPool2d(2).forward(x);   // [N, C, 8, 8] -> [N, C, 4, 4]
 * }</pre>
 */
public class AvgPool2d extends Module {
    private final int[] kernel, stride, padding;
    private final boolean countIncludePad;

    public AvgPool2d(int[] kernel, int[] stride, int[] padding, boolean countIncludePad) {
        this.kernel = kernel.clone(); this.stride = stride.clone(); this.padding = padding.clone(); this.countIncludePad = countIncludePad;
    }

    public AvgPool2d(int kernel, int stride, int padding) {
        this(new int[]{kernel, kernel}, new int[]{stride, stride}, new int[]{padding, padding}, true);
    }

    public AvgPool2d(int kernel) { this(kernel, kernel, 0); }

    @Override public Tensor forward(Tensor x) { return Functional.avgPool2d(x, kernel, stride, padding, countIncludePad); }

    @Override public String describe() {
        return "AvgPool2d(kernel=" + Arrays.toString(kernel) + ", stride=" + Arrays.toString(stride) + ", padding=" + Arrays.toString(padding)
                + ", countIncludePad=" + countIncludePad + ")";
    }

    @Override public Value trace(Tracer t, Value x) {
        if (kernel[0] != kernel[1] || stride[0] != stride[1] || padding[0] != padding[1])
            throw new EngineException("AvgPool2d: freezing supports square windows only");
        return t.avgPool2d(x, kernel[0], stride[0], padding[0], countIncludePad);
    }
}
