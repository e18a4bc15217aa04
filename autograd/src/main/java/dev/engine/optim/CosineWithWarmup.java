package dev.engine.optim;

import dev.engine.api.EngineException;

/**
 * Linear warmup from 0 to the base lr over {@code warmupSteps}, then a half-cosine down to {@code minLr}
 * at {@code totalSteps} (held there after): for {@code t < w}: {@code base * t / w}; else with
 * {@code q = (t - w) / (T - w)}: {@code minLr + (base - minLr) * 0.5 * (1 + cos(pi * q))} (the Hugging Face
 * "cosine schedule with warmup", with a floor).
 *
 * <pre>{@code
 * var sched = new CosineWithWarmup(opt, 100, 1000, 0.0);   // call sched.step() after every batch
 * }</pre>
 */
public class CosineWithWarmup extends LRScheduler {
    private final long warmup, total;
    private final double minLr;

    public CosineWithWarmup(Optimizer opt, long warmupSteps, long totalSteps, double minLr) {
        super(opt);
        if (warmupSteps < 0 || totalSteps <= warmupSteps)
            throw new EngineException("CosineWithWarmup: need 0 <= warmup (" + warmupSteps + ") < total (" + totalSteps + ")");
        this.warmup = warmupSteps; this.total = totalSteps; this.minLr = minLr;
        init();
    }

    @Override public double lrAt(long t) {
        if (t < warmup) return baseLr * t / warmup;
        double q = Math.min(1.0, (double) (t - warmup) / (total - warmup));
        return minLr + (baseLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * q));
    }
}
