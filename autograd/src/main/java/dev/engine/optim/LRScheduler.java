package dev.engine.optim;

/**
 * A learning-rate schedule driving an optimizer's lr, PyTorch-style: construction sets the lr for step 0,
 * each {@link #step()} advances one step (or epoch) and sets the next value.
 *
 * <pre>{@code
 * var opt = new SGD(model.parameters(), 0.1, 0.9);
 * LRScheduler sched = new StepLR(opt, 30, 0.1);
 * for (int epoch = 0; epoch < 90; epoch++) { train(opt); sched.step(); }
 * }</pre>
 */
public abstract class LRScheduler {
    protected final Optimizer optimizer;
    protected final double baseLr;
    protected long epoch;

    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
        this.baseLr = optimizer.lr();
    }

    /** Sets the optimizer's lr for the current step; call at the end of subclass constructors. */
    protected final void init() { optimizer.setLr(lrAt(0)); }

    /** The lr at step {@code t} (t = 0 at construction). */
    public abstract double lrAt(long t);

    /** Advances one step and updates the optimizer's lr. */
    public void step() {
        epoch++;
        optimizer.setLr(lrAt(epoch));
    }

    /** Steps taken so far. */
    public long lastEpoch() { return epoch; }

    public double currentLr() { return optimizer.lr(); }
}
