package dev.engine.nn;

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
}
