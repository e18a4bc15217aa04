package dev.engine.cpu;

import dev.engine.api.contract.ScalarRef;

/** Naive double-precision reference math shared by the tests (no code shared with the kernels). */
final class RefMath {
    private RefMath() {}

    static double erf(double x) { return ScalarRef.erf(x); }

    static double gelu(double x) { return ScalarRef.gelu(x); }

    static double geluTanh(double x) { return ScalarRef.geluTanh(x); }

    static double sigmoid(double x) { return ScalarRef.sigmoid(x); }

    static double softplus(double x) { return ScalarRef.softplus(x); }

    /** Central difference of f at x (step 1e-5): error ~1e-10 for smooth f of size 1. */
    static double derivative(java.util.function.DoubleUnaryOperator f, double x) {
        double h = 1e-5;
        return (f.applyAsDouble(x + h) - f.applyAsDouble(x - h)) / (2 * h);
    }
}
