package dev.engine.nn;

import dev.engine.api.EngineException;
import dev.engine.api.Shapes;
import dev.engine.autograd.Generator;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.Tensor;

/**
 * Parameter initialisation as in {@code torch.nn.init}, drawing from a seeded {@link Generator} so that
 * identical seeds give identical models. Every method fills the tensor in place and returns it.
 *
 * <p>Layers built without an explicit generator draw from {@link #defaultGenerator()}, a per-thread
 * generator seeded with {@link #DEFAULT_SEED}; {@link #manualSeed(long)} re-seeds it (like
 * {@code torch.manual_seed}).
 *
 * <pre>{@code
 * Generator g = new Generator(42);
 * Tensor w = Tensor.empty(DType.F32, 128, 64);
 * Init.kaimingUniform(w, Math.sqrt(5), g);   // PyTorch's default for Linear/Conv weights
 * Init.manualSeed(0);
 * var a = new Linear(4, 3); Init.manualSeed(0); var b = new Linear(4, 3);   // identical weights
 * }</pre>
 */
public final class Init {
    private Init() {}

    /** Seed of the per-thread default generator. */
    public static final long DEFAULT_SEED = 0;

    private static final ThreadLocal<Generator> DEFAULT = ThreadLocal.withInitial(() -> new Generator(DEFAULT_SEED));

    /** The generator layers use when none is given (per thread). */
    public static Generator defaultGenerator() { return DEFAULT.get(); }

    /** Re-seeds this thread's default generator. */
    public static void manualSeed(long seed) { DEFAULT.set(new Generator(seed)); }

    /** {fan_in, fan_out} of a weight: dims 1 and 0 times the receptive field (product of dims 2..). */
    public static long[] fans(Tensor t) {
        long[] s = t.shape();
        if (s.length < 2) throw new EngineException("init: fan in/out need at least 2 dims, got " + Shapes.str(s));
        long rf = 1;
        for (int i = 2; i < s.length; i++) rf *= s[i];
        return new long[]{s[1] * rf, s[0] * rf};
    }

    /** Gain of a nonlinearity as {@code torch.nn.init.calculate_gain}; {@code param} is leaky_relu's slope. */
    public static double gain(String nonlinearity, double param) {
        return switch (nonlinearity) {
            case "linear", "conv2d", "sigmoid" -> 1.0;
            case "tanh" -> 5.0 / 3;
            case "relu" -> Math.sqrt(2.0);
            case "leaky_relu" -> Math.sqrt(2.0 / (1 + param * param));
            case "selu" -> 3.0 / 4;
            default -> throw new EngineException("init: unknown nonlinearity '" + nonlinearity + "'");
        };
    }

    /** U(lo, hi). */
    public static Tensor uniform(Tensor t, double lo, double hi, Generator g) {
        try (GradMode ng = GradMode.noGrad()) {
            Tensor v = Tensor.uniform(g, lo, hi, t.shape());
            t.copyFrom(v);
            v.close();
        }
        return t;
    }

    /** N(mean, std^2). */
    public static Tensor normal(Tensor t, double mean, double std, Generator g) {
        try (GradMode ng = GradMode.noGrad()) {
            float[] a = new float[Shapes.numelInt(t.shape())];
            for (int i = 0; i < a.length; i++) a[i] = (float) (mean + std * g.nextGaussian());
            Tensor v = Tensor.of(t.backend(), a, t.shape());
            t.copyFrom(v);
            v.close();
        }
        return t;
    }

    public static Tensor constant(Tensor t, double value) {
        try (GradMode ng = GradMode.noGrad()) { t.fill(value); }
        return t;
    }

    public static Tensor zeros(Tensor t) { return constant(t, 0); }

    public static Tensor ones(Tensor t) { return constant(t, 1); }

    /** Kaiming (He) uniform, fan-in mode, leaky_relu gain with slope {@code a}: bound {@code gain * sqrt(3 / fan_in)}. */
    public static Tensor kaimingUniform(Tensor t, double a, Generator g) {
        double bound = gain("leaky_relu", a) * Math.sqrt(3.0 / fans(t)[0]);
        return uniform(t, -bound, bound, g);
    }

    /** Kaiming (He) normal, fan-in mode: std {@code gain / sqrt(fan_in)}. */
    public static Tensor kaimingNormal(Tensor t, double a, Generator g) {
        return normal(t, 0, gain("leaky_relu", a) / Math.sqrt(fans(t)[0]), g);
    }

    /** Xavier (Glorot) uniform: bound {@code gain * sqrt(6 / (fan_in + fan_out))}. */
    public static Tensor xavierUniform(Tensor t, double gain, Generator g) {
        long[] f = fans(t);
        double bound = gain * Math.sqrt(6.0 / (f[0] + f[1]));
        return uniform(t, -bound, bound, g);
    }

    /** Xavier (Glorot) normal: std {@code gain * sqrt(2 / (fan_in + fan_out))}. */
    public static Tensor xavierNormal(Tensor t, double gain, Generator g) {
        long[] f = fans(t);
        return normal(t, 0, gain * Math.sqrt(2.0 / (f[0] + f[1])), g);
    }

    /** PyTorch's default bias init for a layer with this fan-in: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
    public static Tensor fanInUniform(Tensor t, long fanIn, Generator g) {
        double bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
        return uniform(t, -bound, bound, g);
    }
}
