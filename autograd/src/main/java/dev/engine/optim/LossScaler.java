package dev.engine.optim;

import dev.engine.api.EngineException;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;

/**
 * Dynamic loss scaling for F16 mixed precision ({@code Autocast.f16()}), as PyTorch's {@code GradScaler}:
 * the loss is multiplied by the scale before {@code backward()} so that small gradients survive F16's
 * range; {@link #step} divides the gradients by it again and runs the optimizer only when every gradient is
 * finite. A step with an infinity or NaN is skipped and the scale multiplied by the backoff factor; after
 * {@code growthInterval} clean steps in a row it is multiplied by the growth factor.
 *
 * <pre>{@code
 * LossScaler scaler = LossScaler.dynamic();
 * for (...) {
 *     try (MemoryScope s = MemoryScope.open()) {
 *         opt.zeroGrad();
 *         Tensor loss;
 *         try (Autocast a = Autocast.f16()) { loss = lossFn.forward(model.forward(x), y); }
 *         scaler.scale(loss).backward();
 *         scaler.unscale(opt);                                // optional: before clipping
 *         GradClip.byNorm(opt.params(), 1.0);
 *         boolean stepped = scaler.step(opt);                 // false: skipped, scale lowered
 *     }
 * }
 * }</pre>
 */
public final class LossScaler {
    private double scale;
    private final double growthFactor, backoffFactor;
    private final int growthInterval;
    private int cleanSteps;
    private Optimizer unscaled;
    private boolean unscaledFinite;

    /**
     * @param initialScale   the first scale (PyTorch: 65536)
     * @param growthFactor   applied after {@code growthInterval} finite steps in a row (> 1)
     * @param backoffFactor  applied after a step with non-finite gradients (in (0, 1))
     * @param growthInterval finite steps before the scale grows (>= 1)
     */
    public LossScaler(double initialScale, double growthFactor, double backoffFactor, int growthInterval) {
        if (!(initialScale > 0) || Double.isInfinite(initialScale))
            throw new EngineException("LossScaler: initial scale " + initialScale + " must be finite and > 0");
        if (!(growthFactor > 1)) throw new EngineException("LossScaler: growth factor " + growthFactor + " must be > 1");
        if (!(backoffFactor > 0 && backoffFactor < 1)) throw new EngineException("LossScaler: backoff factor " + backoffFactor + " must be in (0, 1)");
        if (growthInterval < 1) throw new EngineException("LossScaler: growth interval " + growthInterval + " must be >= 1");
        this.scale = initialScale;
        this.growthFactor = growthFactor;
        this.backoffFactor = backoffFactor;
        this.growthInterval = growthInterval;
    }

    /** PyTorch's defaults: scale 65536, x2 after 2000 finite steps, x0.5 after an overflow. */
    public static LossScaler dynamic() { return new LossScaler(65536, 2, 0.5, 2000); }

    /** The current scale. */
    public double scale() { return scale; }

    /** Finite steps in a row since the scale last changed (it grows when they reach the growth interval). */
    public int cleanSteps() { return cleanSteps; }

    /** Puts back a state saved from {@link #scale()} and {@link #cleanSteps()} (a checkpoint's). */
    public void restore(double scale, int cleanSteps) {
        if (!(scale > 0) || Double.isInfinite(scale)) throw new EngineException("LossScaler: restored scale " + scale + " must be finite and > 0");
        if (cleanSteps < 0) throw new EngineException("LossScaler: restored clean steps " + cleanSteps + " must be >= 0");
        this.scale = scale;
        this.cleanSteps = cleanSteps;
        this.unscaled = null;
    }

    /** {@code loss * scale} (recorded, so {@code backward()} on it gives scaled gradients). */
    public Tensor scale(Tensor loss) { return loss.mul(scale); }

    /**
     * Divides the gradients of {@code opt}'s parameters by the scale, in place, once per step (a second call
     * before {@link #step} does nothing); returns whether they are all finite.
     */
    public boolean unscale(Optimizer opt) {
        if (unscaled == opt) return unscaledFinite;
        boolean finite = true;
        try (MemoryScope s = MemoryScope.open(); GradMode g = GradMode.noGrad()) {
            Tensor flags = null;
            for (Tensor p : opt.params()) {
                Tensor gr = p.grad();
                if (gr == null || gr.numel() == 0) continue;
                gr.mulInPlace(1.0 / scale);
                // g * 0 is 0 for every finite g and NaN for an infinity or NaN; the sum cannot overflow
                Tensor part = gr.mul(0.0).sum();
                flags = flags == null ? part : flags.add(part);
            }
            if (flags != null) finite = flags.item() == 0;
        }
        unscaled = opt;
        unscaledFinite = finite;
        return finite;
    }

    /**
     * Unscales (unless {@link #unscale} already did), runs {@code opt.step()} when every gradient is finite,
     * and updates the scale; returns whether the optimizer stepped.
     */
    public boolean step(Optimizer opt) {
        boolean finite = unscale(opt);
        unscaled = null;
        if (finite) {
            opt.step();
            if (++cleanSteps >= growthInterval) {
                scale *= growthFactor;
                cleanSteps = 0;
            }
        } else {
            scale *= backoffFactor;
            cleanSteps = 0;
        }
        return finite;
    }
}
