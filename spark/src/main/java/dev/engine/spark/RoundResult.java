package dev.engine.spark;

import java.io.Serializable;

/**
 * What workers send back from one round, summed by {@code treeAggregate}: their model and optimizer states
 * (summed, averaged on the driver), how many workers trained, and their summed batch losses and rows.
 * Summing is all a retried task can contribute to, so a retry replaces the failed attempt's result instead of
 * adding to it.
 */
final class RoundResult implements Serializable {
    private static final long serialVersionUID = 1L;
    static final RoundResult EMPTY = new RoundResult(null, null, 0, 0, 0);

    final TensorState model, optimizer;
    final int workers;
    final double lossSum;
    final long samples;

    RoundResult(TensorState model, TensorState optimizer, int workers, double lossSum, long samples) {
        this.model = model; this.optimizer = optimizer; this.workers = workers; this.lossSum = lossSum; this.samples = samples;
    }

    RoundResult plus(RoundResult o) {
        if (o.workers == 0) return new RoundResult(model, optimizer, workers, lossSum + o.lossSum, samples + o.samples);
        if (workers == 0) return new RoundResult(o.model, o.optimizer, o.workers, lossSum + o.lossSum, samples + o.samples);
        return new RoundResult(model.plus(o.model), optimizer.plus(o.optimizer), workers + o.workers, lossSum + o.lossSum, samples + o.samples);
    }
}
