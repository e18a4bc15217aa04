package dev.engine.optim;

import dev.engine.api.EngineException;

/**
 * Multiplies the lr by {@code factor} when a metric has not improved for more than {@code patience}
 * steps, as PyTorch's {@code ReduceLROnPlateau} (relative threshold): improvement means
 * {@code metric < best * (1 - threshold)} in min mode ({@code > best * (1 + threshold)} in max mode);
 * after a reduction it waits {@code cooldown} steps; the lr never drops below {@code minLr}.
 *
 * <pre>{@code
 * var plateau = new ReduceLROnPlateau(opt, false, 0.5, 3, 1e-4, 0, 1e-6);
 * for (...) { double val = validate(); plateau.step(val); }
 * }</pre>
 */
public class ReduceLROnPlateau {
    private final Optimizer optimizer;
    private final boolean maxMode;
    private final double factor, threshold, minLr;
    private final int patience, cooldown;
    private double best;
    private int badSteps, cooldownLeft;

    public ReduceLROnPlateau(Optimizer opt, boolean maxMode, double factor, int patience, double threshold, int cooldown, double minLr) {
        if (!(factor > 0 && factor < 1)) throw new EngineException("ReduceLROnPlateau: factor " + factor + " must be in (0, 1)");
        this.optimizer = opt; this.maxMode = maxMode; this.factor = factor; this.patience = patience; this.threshold = threshold;
        this.cooldown = cooldown; this.minLr = minLr;
        this.best = maxMode ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    /** Min mode, factor 0.1, patience 10, threshold 1e-4, no cooldown, min lr 0 (PyTorch's defaults). */
    public ReduceLROnPlateau(Optimizer opt) { this(opt, false, 0.1, 10, 1e-4, 0, 0); }

    private boolean better(double v) { return maxMode ? v > best * (1 + threshold) : v < best * (1 - threshold); }

    /** Reports the metric of one step/epoch; may lower the lr. */
    public void step(double metric) {
        if (better(metric)) { best = metric; badSteps = 0; }
        else badSteps++;
        if (cooldownLeft > 0) { cooldownLeft--; badSteps = 0; }
        if (badSteps > patience) {
            double old = optimizer.lr(), next = Math.max(old * factor, minLr);
            if (old - next > 1e-8) optimizer.setLr(next);
            cooldownLeft = cooldown;
            badSteps = 0;
        }
    }

    public double best() { return best; }

    public double currentLr() { return optimizer.lr(); }
}
