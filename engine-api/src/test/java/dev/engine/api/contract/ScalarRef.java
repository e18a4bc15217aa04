package dev.engine.api.contract;

/**
 * Double-precision references for scalar functions that {@link Math} lacks, shared by the contract suite
 * and the backends' own tests (this class ships in engine-api's test-jar).
 *
 * <pre>{@code
 * double want = ScalarRef.gelu(x);   // compare a kernel's GELU with it
 * }</pre>
 */
public final class ScalarRef {
    private ScalarRef() {}

    /** erf by its Taylor series (|x| <= 3) or the erfc continued fraction (|x| > 3); ~1e-14 absolute. */
    public static double erf(double x) {
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
        return Math.signum(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f);
    }

    /** The exact (erf) GELU. */
    public static double gelu(double x) { return 0.5 * x * (1 + erf(x / Math.sqrt(2))); }

    /** The tanh approximation of GELU. */
    public static double geluTanh(double x) { return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))); }

    public static double sigmoid(double x) { return 1 / (1 + Math.exp(-x)); }

    public static double softplus(double x) { return x > 20 ? x : Math.log1p(Math.exp(x)); }

    /**
     * x rounded to the nearest bfloat16 value, ties to the even one, by comparing the two neighbours in double;
     * beyond the largest bfloat16 the upper neighbour is 2^128 (infinity). NaN and infinities stay.
     */
    public static double roundBf16(float x) {
        if (Float.isNaN(x) || Float.isInfinite(x)) return x;
        int bits = Float.floatToRawIntBits(x);
        float lo = Float.intBitsToFloat(bits & 0xffff0000), hi = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000);
        double hiValue = Float.isInfinite(hi) ? Math.copySign(Math.scalb(1.0, 128), x) : hi;
        double dl = Math.abs((double) x - lo), dh = Math.abs(hiValue - x);
        boolean up = dh < dl || (dh == dl && ((bits >>> 16) & 1) == 1);
        return up ? hi : lo;
    }

    /**
     * x rounded to the nearest IEEE half value, ties to even: a multiple of 2^(e-10) for x's exponent e, at least
     * 2^-24 (half's subnormals); above 65504 after rounding, infinity. NaN and infinities stay.
     */
    public static double roundF16(float x) {
        if (Float.isNaN(x) || Float.isInfinite(x)) return x;
        double q = Math.scalb(1.0, Math.max(Math.getExponent(x), -14) - 10);
        double r = Math.rint(x / q) * q;
        if (Math.abs(r) > 65504) return Math.copySign(Double.POSITIVE_INFINITY, x);
        return r == 0 ? Math.copySign(0.0, x) : r;
    }
}
