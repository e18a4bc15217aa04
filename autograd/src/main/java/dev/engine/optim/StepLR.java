package dev.engine.optim;

import dev.engine.api.EngineException;

/**
 * Decays the lr by {@code gamma} every {@code stepSize} steps: {@code lr = base * gamma^floor(t / stepSize)}.
 *
 * <pre>{@code
 * var sched = new StepLR(opt, 10, 0.5);   // halve every 10 epochs
 * }</pre>
 */
public class StepLR extends LRScheduler {
    private final long stepSize;
    private final double gamma;

    public StepLR(Optimizer opt, long stepSize, double gamma) {
        super(opt);
        if (stepSize < 1) throw new EngineException("StepLR: step size " + stepSize + " must be >= 1");
        this.stepSize = stepSize;
        this.gamma = gamma;
        init();
    }

    @Override public double lrAt(long t) { return baseLr * Math.pow(gamma, Math.floorDiv(t, stepSize)); }
}
