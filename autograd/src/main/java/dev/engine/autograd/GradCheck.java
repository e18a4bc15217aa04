package dev.engine.autograd;

import dev.engine.api.DType;
import dev.engine.api.EngineException;
import java.util.function.Function;

/**
 * Checks a function's analytic gradients against central finite differences in F64, like PyTorch's
 * {@code gradcheck}. The function's output (any shape) is reduced with fixed random weights, so every
 * output element's gradient is exercised.
 *
 * <pre>{@code
 * GradCheck.assertGradients(in -> in[0].mul(in[1]).sum(0, false),
 *         new double[][]{x, y}, new long[][]{{3, 4}, {3, 4}});
 * }</pre>
 */
public final class GradCheck {
    private GradCheck() {}

    /** Default step and tolerances for F64. */
    public static final double EPS = 1e-6, ATOL = 1e-5, RTOL = 1e-4;

    /**
     * Throws an {@link AssertionError} naming the input, element, analytic and numeric values when they
     * differ by more than {@code atol + rtol*|numeric|}.
     */
    public static void assertGradients(Function<Tensor[], Tensor> f, double[][] values, long[][] shapes) {
        assertGradients(f, values, shapes, EPS, ATOL, RTOL);
    }

    public static void assertGradients(Function<Tensor[], Tensor> f, double[][] values, long[][] shapes, double eps, double atol, double rtol) {
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor[] in = make(values, shapes, true);
            Tensor out = f.apply(in);
            if (out.dtype() != DType.F64) throw new EngineException("gradcheck: function must return F64, got " + out.dtype());
            double[] w = weights(out.numel());
            Tensor weight = Tensor.of(w, out.shape());
            out.mul(weight).sum().backward();
            for (int i = 0; i < in.length; i++) {
                double[] analytic = in[i].grad() == null ? new double[values[i].length] : in[i].grad().toDoubleArray();
                for (int j = 0; j < values[i].length; j++) {
                    double keep = values[i][j];
                    values[i][j] = keep + eps;
                    double plus = weighted(f, values, shapes, w);
                    values[i][j] = keep - eps;
                    double minus = weighted(f, values, shapes, w);
                    values[i][j] = keep;
                    double numeric = (plus - minus) / (2 * eps);
                    if (!(Math.abs(analytic[j] - numeric) <= atol + rtol * Math.abs(numeric)))
                        throw new AssertionError("gradient mismatch for input " + i + " element " + j + ": analytic " + analytic[j]
                                + " vs numeric " + numeric);
                }
            }
        }
    }

    private static double weighted(Function<Tensor[], Tensor> f, double[][] values, long[][] shapes, double[] w) {
        try (MemoryScope s = MemoryScope.open(); GradMode g = GradMode.noGrad()) {
            double[] o = f.apply(make(values, shapes, false)).toDoubleArray();
            double sum = 0;
            for (int i = 0; i < o.length; i++) sum += o[i] * w[i];
            return sum;
        }
    }

    private static Tensor[] make(double[][] values, long[][] shapes, boolean grad) {
        Tensor[] t = new Tensor[values.length];
        for (int i = 0; i < values.length; i++) t[i] = Tensor.of(values[i], shapes[i]).requiresGrad(grad);
        return t;
    }

    private static double[] weights(long n) {
        Generator g = new Generator(1234);
        double[] w = new double[Math.toIntExact(n)];
        for (int i = 0; i < w.length; i++) w[i] = 0.5 + g.nextDouble();
        return w;
    }

    /** Random F64 values in [-1, 1) from a seed, for gradient-check inputs. */
    public static double[] random(long seed, int n) {
        Generator g = new Generator(seed);
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = 2 * g.nextDouble() - 1;
        return v;
    }
}
