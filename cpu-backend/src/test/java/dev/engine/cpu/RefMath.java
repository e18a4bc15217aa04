package dev.engine.cpu;

/** Naive double-precision reference math shared by the tests (no code shared with the kernels). */
final class RefMath {
    private RefMath() {}

    /** erf by its Taylor series (|x| <= 3) or the erfc continued fraction (|x| > 3); ~1e-14 absolute. */
    static double erf(double x) {
        double ax = Math.abs(x);
        if (ax <= 3) {
            double sum = 0, term = x; // term = (-1)^n x^(2n+1) / n!
            for (int n = 0; n < 200; n++) {
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
                term *= -x * x / (n + 1);
            }
            return 2 / Math.sqrt(Math.PI) * sum;
        }
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) evaluated backwards
        double f = ax;
        for (int k = 60; k >= 1; k--) f = ax + (k / 2.0) / f;
        double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        return Math.signum(x) * (1 - erfc);
    }

    static double gelu(double x) { return 0.5 * x * (1 + erf(x / Math.sqrt(2))); }

    static double geluTanh(double x) { return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))); }

    static double sigmoid(double x) { return 1 / (1 + Math.exp(-x)); }

    static double softplus(double x) { return x > 20 ? x : Math.log1p(Math.exp(x)); }

    /** Central difference of f at x (step 1e-5): error ~1e-10 for smooth f of size 1. */
    static double derivative(java.util.function.DoubleUnaryOperator f, double x) {
        double h = 1e-5;
        return (f.applyAsDouble(x + h) - f.applyAsDouble(x - h)) / (2 * h);
    }
}
