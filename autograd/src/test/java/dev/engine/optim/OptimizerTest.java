package dev.engine.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.Buffer;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Each optimizer's first three steps against a hand-written reference of its published update rule, on
 * the loss {@code sum(c * p^2)} (gradient {@code 2 c p}) with two parameters (F64).
 */
class OptimizerTest {
    static final double[] P0 = {0.5, -1.0, 2.0}, Q0 = {0.3, -0.7};
    static final double[] CP = {1.0, 0.5, 2.0}, CQ = {3.0, 0.25};

    /** Runs 3 steps of {@code make(params)}; returns the parameter values after each step. */
    static double[][][] run(Function<List<Tensor>, Optimizer> make) {
        Tensor p = MemoryScope.detach(Tensor.of(P0.clone(), 3)).requiresGrad(true);
        Tensor q = MemoryScope.detach(Tensor.of(Q0.clone(), 2)).requiresGrad(true);
        Optimizer opt = make.apply(List.of(p, q));
        double[][][] out = new double[3][][];
        for (int s = 0; s < 3; s++) {
            try (MemoryScope scope = MemoryScope.open()) {
                opt.zeroGrad();
                Tensor loss = p.square().mul(Tensor.of(CP, 3)).sum().add(q.square().mul(Tensor.of(CQ, 2)).sum());
                loss.backward();
                opt.step();
            }
            out[s] = new double[][]{p.toDoubleArray(), q.toDoubleArray()};
        }
        assertEquals(3, opt.stepCount());
        return out;
    }

    interface Rule { void apply(double[] p, double[] g, double[][] state, int t); }

    /** Reference: the same loss, the rule applied element by element in plain Java. */
    static double[][][] reference(Rule rule, int stateCount) {
        double[][] ps = {P0.clone(), Q0.clone()}, cs = {CP, CQ};
        double[][][] st = new double[2][stateCount][];
        for (int k = 0; k < 2; k++) for (int s = 0; s < stateCount; s++) st[k][s] = new double[ps[k].length];
        double[][][] out = new double[3][][];
        for (int t = 1; t <= 3; t++) {
            for (int k = 0; k < 2; k++) {
                double[] g = new double[ps[k].length];
                for (int i = 0; i < g.length; i++) g[i] = 2 * cs[k][i] * ps[k][i];
                rule.apply(ps[k], g, st[k], t);
            }
            out[t - 1] = new double[][]{ps[0].clone(), ps[1].clone()};
        }
        return out;
    }

    static void assertSame3(double[][][] expected, double[][][] actual) {
        for (int s = 0; s < 3; s++) for (int k = 0; k < 2; k++) assertArrayEquals(expected[s][k], actual[s][k], 1e-12, "step " + (s + 1) + " param " + k);
    }

    static Rule sgd(double lr, double mom, double damp, double wd, boolean nesterov) {
        return (p, g, st, t) -> {
            for (int i = 0; i < p.length; i++) {
                double d = g[i] + wd * p[i];
                if (mom != 0) {
                    st[0][i] = t == 1 ? d : mom * st[0][i] + (1 - damp) * d;
                    d = nesterov ? d + mom * st[0][i] : st[0][i];
                }
                p[i] -= lr * d;
            }
        };
    }

    @Test void sgdPlainMomentumDampeningNesterovWeightDecay() {
        assertSame3(reference(sgd(0.1, 0, 0, 0, false), 1), run(ps -> new SGD(ps, 0.1)));
        assertSame3(reference(sgd(0.1, 0.9, 0, 0, false), 1), run(ps -> new SGD(ps, 0.1, 0.9)));
        assertSame3(reference(sgd(0.05, 0.8, 0.3, 0.01, false), 1), run(ps -> new SGD(ps, 0.05, 0.8, 0.3, 0.01, false)));
        assertSame3(reference(sgd(0.1, 0.9, 0, 0.05, true), 1), run(ps -> new SGD(ps, 0.1, 0.9, 0, 0.05, true)));
    }

    static Rule adam(double lr, double b1, double b2, double eps, double wd, boolean decoupled) {
        return (p, g, st, t) -> {
            for (int i = 0; i < p.length; i++) {
                double gi = g[i];
                if (decoupled) p[i] *= 1 - lr * wd; else gi += wd * p[i];
                st[0][i] = b1 * st[0][i] + (1 - b1) * gi;
                st[1][i] = b2 * st[1][i] + (1 - b2) * gi * gi;
                double mHat = st[0][i] / (1 - Math.pow(b1, t)), vHat = st[1][i] / (1 - Math.pow(b2, t));
                p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
            }
        };
    }

    @Test void adamAndAdamW() {
        assertSame3(reference(adam(0.1, 0.9, 0.999, 1e-8, 0, false), 2), run(ps -> new Adam(ps, 0.1)));
        assertSame3(reference(adam(0.05, 0.8, 0.99, 1e-6, 0.1, false), 2), run(ps -> new Adam(ps, 0.05, 0.8, 0.99, 1e-6, 0.1)));
        assertSame3(reference(adam(0.1, 0.9, 0.999, 1e-8, 0.01, true), 2), run(ps -> new AdamW(ps, 0.1)));
        assertSame3(reference(adam(0.05, 0.8, 0.99, 1e-6, 0.5, true), 2), run(ps -> new AdamW(ps, 0.05, 0.8, 0.99, 1e-6, 0.5)));
    }

    static Rule rmsprop(double lr, double alpha, double eps, double wd, double mom) {
        return (p, g, st, t) -> {
            for (int i = 0; i < p.length; i++) {
                double gi = g[i] + wd * p[i];
                st[0][i] = alpha * st[0][i] + (1 - alpha) * gi * gi;
                double upd = gi / (Math.sqrt(st[0][i]) + eps);
                if (mom != 0) { st[1][i] = mom * st[1][i] + upd; upd = st[1][i]; }
                p[i] -= lr * upd;
            }
        };
    }

    @Test void rmsprop() {
        assertSame3(reference(rmsprop(0.01, 0.99, 1e-8, 0, 0), 2), run(ps -> new RMSProp(ps, 0.01)));
        assertSame3(reference(rmsprop(0.02, 0.9, 1e-6, 0.1, 0.5), 2), run(ps -> new RMSProp(ps, 0.02, 0.9, 1e-6, 0.1, 0.5)));
    }

    @Test void stepReusesCachedBuffersAndSkipsParamsWithoutGrad() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor p = MemoryScope.detach(Tensor.of(new double[]{1, 2}, 2)).requiresGrad(true);
            Tensor q = MemoryScope.detach(Tensor.of(new double[]{3}, 1)).requiresGrad(true);
            SGD opt = new SGD(List.of(p, q), 0.5, 0.9);
            p.square().sum().backward();
            opt.step();
            assertArrayEquals(new double[]{0, 0}, p.toDoubleArray(), 1e-12);
            assertArrayEquals(new double[]{3}, q.toDoubleArray(), "no gradient, not updated");
            Buffer[] cached = opt.pBufs;
            opt.zeroGrad();
            p.square().sum().backward();
            opt.step();
            assertSame(cached, opt.pBufs, "same gradients: the argument arrays are reused");
            assertFalse(opt.stateDict().containsKey("state.1.momentum_buffer"));
        }
    }

    @Test void stateDictRoundTripContinuesIdentically() {
        Tensor p = MemoryScope.detach(Tensor.of(P0.clone(), 3)).requiresGrad(true);
        Tensor p2 = MemoryScope.detach(Tensor.of(P0.clone(), 3)).requiresGrad(true);
        Adam a = new Adam(List.of(p), 0.1), b = new Adam(List.of(p2), 0.3);
        Function<Tensor, Void> grad = t -> { try (MemoryScope s = MemoryScope.open()) { t.zeroGrad(); t.square().sum().backward(); } return null; };
        for (int i = 0; i < 2; i++) { grad.apply(p); a.step(); }
        Map<String, Tensor> st = a.stateDict();
        assertEquals(2, st.get("step").item());
        assertTrue(st.containsKey("state.0.exp_avg") && st.containsKey("state.0.exp_avg_sq"));
        b.loadStateDict(st);
        p2.requiresGrad(false);
        p2.copyFrom(p);
        p2.requiresGrad(true);
        assertEquals(0.1, b.lr());
        grad.apply(p); a.step();
        grad.apply(p2); b.step();
        assertArrayEquals(p.toDoubleArray(), p2.toDoubleArray());
        var bad = Map.of("state.0.exp_avg", Tensor.zeros(4));
        var e = assertThrows(dev.engine.api.ShapeException.class, () -> b.loadStateDict(bad));
        assertTrue(e.getMessage().contains("state.0.exp_avg"), e.getMessage());
    }
}
