package dev.engine.api;

/**
 * How an int8 GEMM ({@link Backend#gemmInt8Packed}) turns its F32 input into uint8: {@code q = clamp(round(x /
 * scale) + zeroPoint, 0, 255)}, one scale and zero point for the whole input (per tensor). Static
 * parameters come from calibration; {@link #dynamic()} takes them from each call's own range (which then
 * always contains 0, so zero stays exact).
 *
 * <pre>{@code
 * InputQuantization fixed = InputQuantization.of(6f / 255, 0);   // inputs calibrated to [0, 6]
 * be.gemmInt8Packed(rows, MatrixRef.of(x, in), fixed, wq, MatrixRef.of(y, out), Epilogue.of(bias, Activation.RELU));
 * }</pre>
 *
 * @param perCall   take scale and zero point from each call's input (the other two fields are then ignored)
 * @param scale     the step of one uint8 unit, positive and finite
 * @param zeroPoint the uint8 that stands for 0.0, in [0, 255]
 */
public record InputQuantization(boolean perCall, float scale, int zeroPoint) {
    public InputQuantization {
        if (!perCall) {
            if (!(scale > 0) || !Float.isFinite(scale))
                throw new EngineException("input quantization: scale " + scale + " must be positive and finite");
            if (zeroPoint < 0 || zeroPoint > 255)
                throw new EngineException("input quantization: zero point " + zeroPoint + " outside the uint8 range [0, 255]");
        }
    }

    /** Scale and zero point from each call's input range. */
    public static InputQuantization dynamic() { return new InputQuantization(true, 1f, 0); }

    /** Fixed (calibrated) parameters. */
    public static InputQuantization of(float scale, int zeroPoint) { return new InputQuantization(false, scale, zeroPoint); }

    /**
     * The parameters that map {@code [min, max]} (widened to contain 0) onto [0, 255]; a range of one point
     * gets scale 1.
     */
    public static InputQuantization ofRange(float min, float max) {
        if (!Float.isFinite(min) || !Float.isFinite(max) || min > max)
            throw new EngineException("input quantization: range [" + min + ", " + max + "] is not a finite interval");
        float lo = Math.min(0f, min), hi = Math.max(0f, max);
        if (!(hi > lo)) return of(1f, 0);
        float s = (hi - lo) / 255f;
        int z = (int) Math.max(0, Math.min(255, Math.rint(-lo / s)));
        return of(s, z);
    }
}
