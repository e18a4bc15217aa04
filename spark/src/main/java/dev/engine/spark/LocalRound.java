package dev.engine.spark;

import dev.engine.api.EngineException;
import dev.engine.autograd.Autocast;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.nn.Module;
import dev.engine.nn.loss.Loss;
import dev.engine.optim.Optimizer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;

/**
 * One worker's part of a round: a fresh model and optimizer loaded with the broadcast state train
 * {@code averagingFrequency} batches of this worker's shard (the batches of the round's place in the epoch's
 * seeded order) and return their states. It reads nothing but the broadcast and the shard, so any attempt of
 * it returns the same result.
 */
final class LocalRound implements Function2<Integer, Iterator<Shard>, Iterator<RoundResult>> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<RoundState> state;
    private final SparkTrainer.Config cfg;

    LocalRound(Broadcast<RoundState> state, SparkTrainer.Config cfg) { this.state = state; this.cfg = cfg; }

    @Override public Iterator<RoundResult> call(Integer worker, Iterator<Shard> shards) {
        List<RoundResult> out = new ArrayList<>(1);
        RoundState s = state.value();
        while (shards.hasNext()) out.add(train(worker, shards.next(), s));
        return out.iterator();
    }

    private RoundResult train(int worker, Shard shard, RoundState s) {
        TaskContext ctx = TaskContext.get();
        if (cfg.hook != null) cfg.hook.beforeLocalSteps(s.epoch(), s.round(), worker, ctx == null ? 0 : ctx.attemptNumber());
        int first = s.round() * cfg.averagingFrequency, last = Math.min(first + cfg.averagingFrequency, shard.steps(cfg.batchSize));
        if (first >= last) return RoundResult.EMPTY;   // this shard ran out of batches for the epoch
        Module model = cfg.model.create();
        Optimizer opt = cfg.optimizer.create(model.parameters());
        Loss loss = cfg.loss.create();
        try {
            try (MemoryScope scope = MemoryScope.open(); GradMode g = GradMode.noGrad()) {
                model.loadStateDict(s.model().tensors());
                opt.loadStateDict(s.optimizer().tensors());
            }
            model.train();
            int[] order = shard.order(cfg.seed, s.epoch(), worker, cfg.shuffle);
            double lossSum = 0;
            long samples = 0;
            for (int step = first; step < last; step++) {
                int from = step * cfg.batchSize, n = Math.min(cfg.batchSize, shard.rows - from);
                try (MemoryScope scope = MemoryScope.open()) {
                    Tensor l;
                    try (Autocast a = Autocast.of(cfg.precision)) {
                        l = loss.forward(model.forward(Tensor.of(batch(shard, order, from, n), cfg.inputShape(n))),
                                Tensor.ofLongs(labels(shard, order, from, n), n));
                    }
                    opt.zeroGrad();
                    l.backward();
                    opt.step();
                    double v = l.item();
                    if (!Double.isFinite(v))
                        throw new EngineException("spark trainer: loss is " + v + " on worker " + worker + " at epoch " + (s.epoch() + 1) + ", round "
                                + (s.round() + 1) + ", batch " + (step + 1) + "; lower the learning rate or clip gradients");
                    lossSum += v * n;
                }
                samples += n;
            }
            return new RoundResult(TensorState.of(model.stateDict()), TensorState.of(opt.stateDict()), 1, lossSum, samples);
        } finally {
            close(opt.stateDict());
            close(model.stateDict());
        }
    }

    /** The features of rows {@code order[from .. from + n)}, row-major. */
    static float[] batch(Shard shard, int[] order, int from, int n) {
        float[] x = new float[n * shard.features];
        for (int i = 0; i < n; i++) System.arraycopy(shard.x, order[from + i] * shard.features, x, i * shard.features, shard.features);
        return x;
    }

    /** The labels of rows {@code order[from .. from + n)}. */
    static long[] labels(Shard shard, int[] order, int from, int n) {
        long[] y = new long[n];
        for (int i = 0; i < n; i++) y[i] = shard.y[order[from + i]];
        return y;
    }

    /** Native memory goes back now rather than when the collector gets to it. */
    private static void close(Map<String, Tensor> state) {
        for (Tensor t : state.values()) t.close();
    }
}
