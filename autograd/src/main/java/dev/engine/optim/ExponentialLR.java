package dev.engine.optim;

/**
 * Decays the lr by {@code gamma} every step: {@code lr = base * gamma^t}.
 *
 * <pre>{@code
 * var sched = new ExponentialLR(opt, 0.95);
 * }</pre>
 */
public class ExponentialLR extends LRScheduler {
    private final double gamma;

    public ExponentialLR(Optimizer opt, double gamma) {
        super(opt);
        this.gamma = gamma;
        init();
    }

    @Override public double lrAt(long t) { return baseLr * Math.pow(gamma, t); }
}
