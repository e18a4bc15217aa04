package dev.engine.optim;

import dev.engine.api.EngineException;

/**
 * The one-cycle policy (Smith), as PyTorch's {@code OneCycleLR} with cosine annealing: from
 * {@code maxLr/divFactor} up to {@code maxLr} over the first {@code pctStart} of the steps, then down to
 * {@code maxLr/(divFactor*finalDivFactor)} at step {@code totalSteps - 1}. (Momentum is not cycled.)
 *
 * <pre>{@code
 * var sched = new OneCycleLR(opt, 0.1, 1000);   // pctStart 0.3, divFactor 25, finalDivFactor 1e4
 * }</pre>
 */
public class OneCycleLR extends LRScheduler {
    private final double initial, max, min;
    private final double upEnd, downEnd;

    public OneCycleLR(Optimizer opt, double maxLr, long totalSteps, double pctStart, double divFactor, double finalDivFactor) {
        super(opt);
        if (totalSteps < 2 || pctStart <= 0 || pctStart >= 1)
            throw new EngineException("OneCycleLR: need totalSteps >= 2 and 0 < pctStart < 1, got " + totalSteps + ", " + pctStart);
        this.max = maxLr;
        this.initial = maxLr / divFactor;
        this.min = initial / finalDivFactor;
        this.upEnd = pctStart * totalSteps - 1;
        this.downEnd = totalSteps - 1;
        init();
    }

    public OneCycleLR(Optimizer opt, double maxLr, long totalSteps) { this(opt, maxLr, totalSteps, 0.3, 25, 1e4); }

    private static double cosine(double start, double end, double pct) { return end + (start - end) / 2 * (1 + Math.cos(Math.PI * pct)); }

    @Override public double lrAt(long t) {
        if (t <= upEnd) return cosine(initial, max, upEnd <= 0 ? 1 : t / upEnd);
        return cosine(max, min, Math.min(1.0, (t - upEnd) / (downEnd - upEnd)));
    }
}
