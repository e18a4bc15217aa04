package dev.engine.spark;

import dev.engine.api.EngineException;
import dev.engine.autograd.Autocast;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.nn.Module;
import dev.engine.nn.loss.Loss;
import dev.engine.optim.Optimizer;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.broadcast.Broadcast;
import scala.collection.Iterator;
import scala.runtime.AbstractFunction1;

/**
 * One worker's part of a gradient-averaging round, run as a barrier stage (all workers at once): from the
 * broadcast state, for each of the round's steps it computes the gradient of its own batch, exchanges it with
 * every other worker ({@link StepChannel}), sets the row-weighted mean ({@link GradientExchange}) and takes the
 * optimizer step. Every worker applies the same mean to the same state, so all hold the same model; worker 0
 * returns it. Like {@link LocalRound} it reads only the broadcast and the shard, and Spark reruns a barrier
 * stage as a whole, so a retry recomputes the same result and nothing is applied twice.
 */
final class SyncRound extends AbstractFunction1<Iterator<Shard>, Iterator<RoundResult>> implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Broadcast<RoundState> state;
    private final SparkTrainer.Config cfg;

    SyncRound(Broadcast<RoundState> state, SparkTrainer.Config cfg) { this.state = state; this.cfg = cfg; }

    @Override public Iterator<RoundResult> apply(Iterator<Shard> shards) {
        BarrierTaskContext ctx = BarrierTaskContext.get();
        int worker = ctx.partitionId(), workers = ctx.getTaskInfos().length;
        if (workers != cfg.workers || !shards.hasNext())
            throw new EngineException("spark trainer: gradient averaging expects one shard in each of " + cfg.workers + " barrier tasks, got "
                    + workers + " tasks" + (shards.hasNext() ? "" : " and none for worker " + worker));
        Shard shard = shards.next();
        RoundState s = state.value();
        if (cfg.hook != null) cfg.hook.beforeLocalSteps(s.epoch(), s.round(), worker, ctx.attemptNumber());
        int first = s.round() * cfg.averagingFrequency, last = Math.min(first + cfg.averagingFrequency, s.epochSteps());
        Module model = cfg.model.create();
        Optimizer opt = cfg.optimizer.create(model.parameters());
        Loss loss = cfg.loss.create();
        try (StepChannel channel = StepChannel.open(ctx)) {
            try (MemoryScope scope = MemoryScope.open(); GradMode g = GradMode.noGrad()) {
                model.loadStateDict(s.model().tensors());
                opt.loadStateDict(s.optimizer().tensors());
            }
            model.train();
            List<Tensor> params = opt.params();
            int[] order = shard.order(cfg.seed, s.epoch(), worker, cfg.shuffle);
            double lossSum = 0;
            long samples = 0;
            for (int step = first; step < last; step++) {
                int from = step * cfg.batchSize, n = Math.max(0, Math.min(cfg.batchSize, shard.rows - from));
                byte[] message;
                double v = 0;
                try (MemoryScope scope = MemoryScope.open()) {
                    if (n > 0) {
                        Tensor l;
                        try (Autocast a = Autocast.of(cfg.precision)) {
                            l = loss.forward(model.forward(Tensor.of(LocalRound.batch(shard, order, from, n), cfg.inputShape(n))),
                                    Tensor.ofLongs(LocalRound.labels(shard, order, from, n), n));
                        }
                        opt.zeroGrad();
                        l.backward();
                        v = l.item();
                    }
                    message = GradientExchange.encode(n, v, params);
                }
                GradientExchange.Step all = GradientExchange.apply(channel.exchange(message, m -> GradientExchange.reduce(m, params)), params);
                for (int w = 0; w < workers; w++)   // every worker sees every loss, so all stop together
                    if (all.rows()[w] > 0 && !Double.isFinite(all.losses()[w]))
                        throw new EngineException("spark trainer: loss is " + all.losses()[w] + " on worker " + w + " at epoch " + (s.epoch() + 1)
                                + ", step " + (step + 1) + "; lower the learning rate or clip gradients");
                opt.step();
                lossSum += v * n;
                samples += n;
            }
            return scala.collection.Iterator$.MODULE$.single(worker == 0
                    ? new RoundResult(TensorState.of(model.stateDict()), TensorState.of(opt.stateDict()), 1, lossSum, samples)
                    : new RoundResult(null, null, 0, lossSum, samples));
        } finally {
            close(opt.stateDict());
            close(model.stateDict());
        }
    }

    private static void close(Map<String, Tensor> state) {
        for (Tensor t : state.values()) t.close();
    }
}
