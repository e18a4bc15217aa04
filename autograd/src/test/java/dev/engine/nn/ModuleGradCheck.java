package dev.engine.nn;

import dev.engine.api.DType;
import dev.engine.autograd.Generator;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Finite-difference check (F64) of a module's gradients with respect to its input and every parameter:
 * the output is reduced with fixed random weights, each element is nudged by +-eps.
 */
final class ModuleGradCheck {
    private ModuleGradCheck() {}

    static void check(Module m, Tensor input) { check(m, input, m::forward); }

    /** {@code input} may be integer (no input gradient then); {@code f} runs the module. */
    static void check(Module m, Tensor input, Function<Tensor, Tensor> f) {
        m.to(DType.F64);
        double eps = 1e-6, atol = 1e-5, rtol = 1e-4;
        try (MemoryScope scope = MemoryScope.open()) {
            Tensor x = input.dtype().isFloating() ? input.to(DType.F64).detach().requiresGrad(true) : input;
            Tensor out = f.apply(x);
            double[] w = new double[(int) out.numel()];
            Generator g = new Generator(99);
            for (int i = 0; i < w.length; i++) w[i] = 0.5 + g.nextDouble();
            Tensor wt = Tensor.of(w, out.shape());
            out.mul(wt).sum().backward();
            List<String> names = new ArrayList<>();
            List<Tensor> targets = new ArrayList<>();
            if (x.requiresGrad()) { names.add("input"); targets.add(x); }
            for (Map.Entry<String, Tensor> e : m.namedParameters().entrySet()) { names.add(e.getKey()); targets.add(e.getValue()); }
            for (int k = 0; k < targets.size(); k++) {
                Tensor t = targets.get(k);
                double[] vals = t.toDoubleArray();
                double[] analytic = t.grad() == null ? new double[vals.length] : t.grad().toDoubleArray();
                for (int j = 0; j < vals.length; j++) {
                    double keep = vals[j];
                    vals[j] = keep + eps;
                    double plus = eval(m, f, x, t, vals, w);
                    vals[j] = keep - eps;
                    double minus = eval(m, f, x, t, vals, w);
                    vals[j] = keep;
                    set(t, vals);
                    double numeric = (plus - minus) / (2 * eps);
                    if (!(Math.abs(analytic[j] - numeric) <= atol + rtol * Math.abs(numeric)))
                        throw new AssertionError(m.getClass().getSimpleName() + ": gradient mismatch for " + names.get(k) + "[" + j + "]: analytic "
                                + analytic[j] + " vs numeric " + numeric);
                }
            }
            for (Tensor p : m.parameters()) p.setGrad(null);
        }
    }

    private static void set(Tensor t, double[] vals) {
        try (GradMode g = GradMode.noGrad(); MemoryScope s = MemoryScope.open()) {
            t.copyFrom(Tensor.of(vals, t.shape()));
        }
    }

    private static double eval(Module m, Function<Tensor, Tensor> f, Tensor x, Tensor t, double[] vals, double[] w) {
        set(t, vals);
        try (GradMode g = GradMode.noGrad(); MemoryScope s = MemoryScope.open()) {
            double[] o = f.apply(x).toDoubleArray();
            double sum = 0;
            for (int i = 0; i < o.length; i++) sum += o[i] * w[i];
            return sum;
        }
    }
}
