package dev.engine.nn;

import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.autograd.Functional;
import dev.engine.autograd.Generator;
import dev.engine.autograd.Tensor;
import java.util.Arrays;

/**
 * 2-D convolution over NCHW input with weight [out, in/groups, kh, kw] (PyTorch layout and names "weight",
 * "bias"), stride, padding, dilation and groups; PyTorch's default init.
 *
 * <pre>{@code
 * Conv2d conv = new Conv2d(3, 16, 3).stride(1).padding(1);    // same-size output
 * Conv2d dw = new Conv2d(16, 16, new int[]{3, 3}, new int[]{1, 1}, new int[]{1, 1}, new int[]{1, 1}, 16, true, new Generator(0));
 * Tensor y = conv.forward(images);   // [N, 3, H, W] -> [N, 16, H, W]
 * }</pre>
 */
public class Conv2d extends Module {
    private final long in, out;
    private final int[] kernel;
    private int[] stride, padding, dilation;
    private final int groups;
    private final boolean hasBias;

    public Conv2d(long in, long out, int[] kernel, int[] stride, int[] padding, int[] dilation, int groups, boolean bias, Generator g) {
        if (groups < 1 || in % groups != 0 || out % groups != 0)
            throw new EngineException("Conv2d: groups=" + groups + " must divide in_channels=" + in + " and out_channels=" + out);
        this.in = in; this.out = out; this.kernel = kernel.clone(); this.stride = stride.clone(); this.padding = padding.clone();
        this.dilation = dilation.clone(); this.groups = groups; this.hasBias = bias;
        Tensor w = registerParameter("weight", Tensor.empty(DType.F32, out, in / groups, kernel[0], kernel[1]));
        Init.kaimingUniform(w, Math.sqrt(5), g);
        if (bias) Init.fanInUniform(registerParameter("bias", Tensor.empty(DType.F32, out)), in / groups * kernel[0] * kernel[1], g);
    }

    /** Square kernel, stride 1, no padding, one group, with bias. */
    public Conv2d(long in, long out, int kernel, Generator g) {
        this(in, out, new int[]{kernel, kernel}, new int[]{1, 1}, new int[]{0, 0}, new int[]{1, 1}, 1, true, g);
    }

    public Conv2d(long in, long out, int kernel) { this(in, out, kernel, Init.defaultGenerator()); }

    /** Sets a square stride; returns this. */
    public Conv2d stride(int s) { stride = new int[]{s, s}; return this; }

    /** Sets a square zero padding; returns this. */
    public Conv2d padding(int p) { padding = new int[]{p, p}; return this; }

    /** Sets a square dilation; returns this. */
    public Conv2d dilation(int d) { dilation = new int[]{d, d}; return this; }

    public Tensor weight() { return parameter("weight"); }

    public Tensor bias() { return hasBias ? parameter("bias") : null; }

    @Override public Tensor forward(Tensor x) { return Functional.conv2d(x, weight(), bias(), stride, padding, dilation, groups); }

    @Override public String describe() {
        return "Conv2d(" + in + ", " + out + ", kernel=" + Arrays.toString(kernel) + ", stride=" + Arrays.toString(stride) + ", padding="
                + Arrays.toString(padding) + ", dilation=" + Arrays.toString(dilation) + ", groups=" + groups + ", bias=" + hasBias + ")";
    }

    @Override public Value trace(Tracer t, Value x) {
        return t.conv2d(x, weight(), bias(), stride, padding, dilation, groups);
    }
}
