package dev.engine.train;

import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.autograd.Autocast;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.data.Batch;
import dev.engine.data.DataLoader;
import dev.engine.data.Dataset;
import dev.engine.nn.Dropout;
import dev.engine.nn.Module;
import dev.engine.nn.loss.Loss;
import dev.engine.optim.GradClip;
import dev.engine.optim.LRScheduler;
import dev.engine.optim.LossScaler;
import dev.engine.optim.Optimizer;
import dev.engine.optim.ReduceLROnPlateau;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training loop: epochs over a seeded {@link DataLoader}, one {@link MemoryScope} per step, validation
 * after each epoch, metrics, early stopping (which puts the best epoch's weights back), LR schedules,
 * gradient clipping, checkpoints of the best and the last model (resuming continues bit-identically),
 * progress and history. A loss that turns non-finite, or grows {@link Builder#divergenceFactor} times
 * above the first batch's, stops training with an {@link EngineException} that says so.
 *
 * <p>Validation data decides early stopping, LR-on-plateau and the best checkpoint; keep it apart from
 * the test rows, which should be looked at once, after training:
 *
 * <pre>{@code
 * Split s = Splits.trainValTest(data, 0.7, 0.1, 42, Split.STRATIFIED);     // 70 / 10 / 20
 * var model = new Sequential(new Linear(64, 128), new ReLU(), new Linear(128, 10));
 * Trainer trainer = Trainer.builder(model, new CrossEntropyLoss(), new Adam(model.parameters(), 1e-3))
 *         .epochs(30).batchSize(32).seed(0).validation(s.validation()).earlyStopping("val_loss", 5).build();
 * History h = trainer.fit(s.train());
 * int kept = trainer.keptEpoch();             // the epoch whose weights the model now holds (0-based)
 * Evaluation e = trainer.evaluate(s.test());  // e.accuracy()
 * }</pre>
 */
public final class Trainer {
    private final Module model;
    private final Loss loss;
    private final Optimizer optimizer;
    private final Builder cfg;
    private final LossScaler scaler;  // F16 mixed precision only
    private int bestEpoch = -1;
    private double best = Double.NaN;
    private int badEpochs;
    private boolean stopped;
    private int keptEpoch = -1;
    private WeightSnapshot bestWeights;
    private double firstLoss = Double.NaN;
    private boolean warnedGrowth;

    private Trainer(Builder b) {
        this.model = b.model;
        this.loss = b.loss;
        this.optimizer = b.optimizer;
        this.cfg = b;
        this.scaler = b.precision != DType.F16 ? null : b.lossScaler != null ? b.lossScaler : LossScaler.dynamic();
    }

    public static Builder builder(Module model, Loss loss, Optimizer optimizer) { return new Builder(model, loss, optimizer); }

    /** Configuration; every setter validates its value. */
    public static final class Builder {
        private final Module model;
        private final Loss loss;
        private final Optimizer optimizer;
        private int epochs = 10, batchSize = 32;
        private long seed;
        private boolean shuffle = true;
        private Task task = Task.CLASSIFICATION;
        private Dataset validation;
        private String monitor;
        private int patience = Integer.MAX_VALUE;
        private LRScheduler scheduler;
        private boolean schedulePerBatch;
        private ReduceLROnPlateau plateau;
        private double clipNorm = Double.NaN, clipValue = Double.NaN;
        private Path checkpointDir;
        private boolean resume;
        private Progress progress = Progress.silent();
        private boolean restoreBest = true;
        private double divergenceFactor = 1e4;
        private DType precision;
        private LossScaler lossScaler;

        private Builder(Module model, Loss loss, Optimizer optimizer) {
            if (model == null || loss == null || optimizer == null) throw new EngineException("trainer: model, loss and optimizer are required");
            this.model = model; this.loss = loss; this.optimizer = optimizer;
        }

        public Builder epochs(int n) { if (n < 1) throw new EngineException("trainer: epochs " + n + " must be >= 1"); epochs = n; return this; }
        public Builder batchSize(int n) { if (n < 1) throw new EngineException("trainer: batch size " + n + " must be >= 1"); batchSize = n; return this; }
        /** Seeds the data order (per epoch); model init and dropout have their own seeds. */
        public Builder seed(long s) { seed = s; return this; }
        public Builder shuffle(boolean s) { shuffle = s; return this; }
        public Builder task(Task t) { task = t; return this; }
        public Builder validation(Dataset v) { validation = v; return this; }

        /**
         * Stops after {@code patience} epochs without improvement of a monitored metric (losses minimised);
         * the model then holds the best epoch's weights (see {@link #restoreBestWeights}).
         */
        public Builder earlyStopping(String metric, int patience) {
            if (patience < 1) throw new EngineException("trainer: patience " + patience + " must be >= 1");
            monitor = metric;
            this.patience = patience;
            return this;
        }

        /**
         * With early stopping (default true): when training ends, put back the weights of the epoch with the
         * best monitored value, as Keras' {@code restore_best_weights}; {@link Trainer#keptEpoch()} says which.
         */
        public Builder restoreBestWeights(boolean r) { restoreBest = r; return this; }

        /**
         * Stops with an {@link EngineException} when a batch loss exceeds {@code factor} times the first
         * batch's (at least 0.01) and warns at a hundredth of that; 0 turns the check off (default 1e4).
         * A non-finite loss always stops training.
         */
        public Builder divergenceFactor(double factor) {
            if (!(factor == 0 || factor > 1)) throw new EngineException("trainer: divergence factor " + factor + " must be 0 (off) or > 1");
            divergenceFactor = factor;
            return this;
        }

        /** Which metric decides the "best" checkpoint (default: val_loss, or train_loss without validation). */
        public Builder monitor(String metric) { monitor = metric; return this; }
        /** An LR schedule stepped after every epoch (or every batch with {@code perBatch}). */
        public Builder scheduler(LRScheduler s, boolean perBatch) { scheduler = s; schedulePerBatch = perBatch; return this; }
        /** Reduce-on-plateau driven by the monitored metric after each epoch. */
        public Builder plateau(ReduceLROnPlateau p) { plateau = p; return this; }
        /**
         * Mixed precision: {@link DType#BF16} or {@link DType#F16} runs the model's products in that precision with
         * F32 sums ({@link Autocast}; parameters and optimizer state stay F32), F16 with a dynamic {@link LossScaler}
         * (a step whose gradients overflow is skipped; {@link #lossScaler} to set its rule); {@link DType#F32} or null: full
         * precision (the default).
         */
        public Builder mixedPrecision(DType p) {
            if (p != null && p != DType.F32 && p != DType.BF16 && p != DType.F16)
                throw new EngineException("trainer: mixed precision is BF16, F16 or F32, not " + p);
            precision = p == DType.F32 ? null : p;
            return this;
        }

        /** The loss scaler of F16 mixed precision (default {@link LossScaler#dynamic()}); its state is checkpointed. */
        public Builder lossScaler(LossScaler s) {
            if (s == null) throw new EngineException("trainer: loss scaler is null");
            lossScaler = s;
            return this;
        }

        public Builder clipGradNorm(double max) { if (!(max > 0)) throw new EngineException("trainer: clip norm must be > 0"); clipNorm = max; return this; }
        public Builder clipGradValue(double max) { if (!(max > 0)) throw new EngineException("trainer: clip value must be > 0"); clipValue = max; return this; }
        /** Writes last.safetensors and best.safetensors there after each epoch. */
        public Builder checkpointDir(Path dir) { checkpointDir = dir; return this; }
        /** Continues from checkpointDir/last.safetensors, which must exist (fit fails otherwise). */
        public Builder resume(boolean r) { resume = r; return this; }
        public Builder progress(Progress p) { progress = p == null ? Progress.silent() : p; return this; }
        public Builder progress(PrintStream out) { return progress(Progress.auto(out)); }

        public Trainer build() {
            if (monitor != null && monitor.startsWith("val_") && validation == null)
                throw new EngineException("trainer: '" + monitor + "' is a validation metric; pass validation data (validation(...))");
            return new Trainer(this);
        }
    }

    /** Trains on {@code train}; returns the per-epoch history (including epochs restored from a checkpoint). */
    public History fit(Dataset train) {
        History history = new History();
        int start = 0;
        String monitor = cfg.monitor != null ? cfg.monitor : (cfg.validation != null ? "val_loss" : "train_loss");
        if (cfg.resume) {
            if (cfg.checkpointDir == null) throw new EngineException("trainer: resume needs a checkpoint directory (checkpointDir)");
            Path last = cfg.checkpointDir.resolve("last.safetensors");
            if (!Files.isRegularFile(last)) throw new EngineException("trainer: nothing to resume: " + last + " does not exist");
            start = restore(last, history);
            if (start >= cfg.epochs)
                throw new EngineException("trainer: the checkpoint " + last + " has already trained " + start + " epochs; ask for more than "
                        + start + " epochs to continue (asked for " + cfg.epochs + ")");
        }
        boolean restoring = cfg.restoreBest && cfg.patience != Integer.MAX_VALUE;
        try (DataLoader loader = DataLoader.builder(train).batchSize(cfg.batchSize).shuffle(cfg.shuffle).seed(cfg.seed).prefetch(true).build()) {
            for (int epoch = start; epoch < cfg.epochs && !stopped; epoch++) {
                EpochStats stats = runEpoch(loader, epoch);
                history.add(stats);
                double value = stats.metric(monitor);
                boolean improved = bestEpoch < 0 || (monitor.contains("loss") ? value < best : value > best);
                if (improved) { best = value; bestEpoch = epoch; badEpochs = 0; } else badEpochs++;
                if (improved && restoring) bestWeights = WeightSnapshot.of(model.stateDict());
                if (cfg.plateau != null) cfg.plateau.step(value);
                if (cfg.checkpointDir != null) {
                    save(cfg.checkpointDir.resolve("last.safetensors"), epoch + 1, history);
                    if (improved) save(cfg.checkpointDir.resolve("best.safetensors"), epoch + 1, history);
                }
                if (badEpochs >= cfg.patience) {
                    stopped = true;
                    cfg.progress.message("early stopping: " + monitor + " did not improve for " + cfg.patience + " epochs (best "
                            + best + " at epoch " + (bestEpoch + 1) + ")");
                }
            }
        }
        keptEpoch = history.size() - 1;
        if (restoring && bestWeights != null && bestEpoch != keptEpoch) {
            bestWeights.restoreInto(model);
            keptEpoch = bestEpoch;
            cfg.progress.message("restored the weights of epoch " + (bestEpoch + 1) + " (best " + monitor + " " + best + ")");
        }
        return history;
    }

    private EpochStats runEpoch(DataLoader loader, int epoch) {
        model.train();
        long t0 = System.nanoTime();
        double lossSum = 0;
        long seen = 0;
        int done = 0;
        cfg.progress.startEpoch(epoch, cfg.epochs, loader.numBatches());
        try (DataLoader.Epoch batches = loader.epoch(epoch)) {
            while (batches.hasNext()) {
                Batch b = batches.next();
                try (MemoryScope step = MemoryScope.open()) {
                    Tensor x = features(b);
                    Tensor y = targets(b);
                    Tensor l;
                    try (Autocast a = Autocast.of(cfg.precision)) {
                        l = loss.forward(model.forward(x), y);
                    }
                    optimizer.zeroGrad();
                    (scaler == null ? l : scaler.scale(l)).backward();
                    if (scaler != null) scaler.unscale(optimizer);
                    if (!Double.isNaN(cfg.clipValue)) GradClip.byValue(optimizer.params(), cfg.clipValue);
                    if (!Double.isNaN(cfg.clipNorm)) GradClip.byNorm(optimizer.params(), cfg.clipNorm);
                    if (scaler == null) optimizer.step();
                    else scaler.step(optimizer);
                    double v = l.item();
                    checkLoss(v, epoch, done);
                    lossSum += v * b.size();
                }
                seen += b.size();
                done++;
                if (cfg.scheduler != null && cfg.schedulePerBatch) cfg.scheduler.step();
                cfg.progress.batch(epoch, done, lossSum / Math.max(seen, 1), seen);
            }
        }
        if (cfg.scheduler != null && !cfg.schedulePerBatch) cfg.scheduler.step();
        double secs = (System.nanoTime() - t0) / 1e9;
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("train_loss", lossSum / Math.max(seen, 1));
        if (cfg.validation != null) evaluate(cfg.validation).metrics().forEach((k, v) -> m.put("val_" + k, v));
        m.put("lr", optimizer.lr());
        EpochStats stats = new EpochStats(epoch, m, secs, seen / Math.max(secs, 1e-9));
        cfg.progress.endEpoch(stats, cfg.epochs);
        return stats;
    }

    /** Stops on a non-finite loss or one grown far above the first batch's; warns once on the way. */
    private void checkLoss(double v, int epoch, int batch) {
        String where = " at epoch " + (epoch + 1) + ", batch " + (batch + 1) + " (learning rate " + optimizer.lr() + ")";
        if (!Double.isFinite(v))
            throw new EngineException("training diverged: loss is " + v + where + "; lower the learning rate or clip gradients");
        if (Double.isNaN(firstLoss)) firstLoss = v;
        if (cfg.divergenceFactor == 0) return;
        double ref = Math.max(firstLoss, 0.01);
        if (v > cfg.divergenceFactor * ref)
            throw new EngineException("training diverged: loss " + v + where + " is over " + cfg.divergenceFactor + " times the first batch's "
                    + firstLoss + "; lower the learning rate or clip gradients");
        if (!warnedGrowth && v > cfg.divergenceFactor / 100 * ref) {
            warnedGrowth = true;
            cfg.progress.message("warning: loss " + v + where + " is over " + cfg.divergenceFactor / 100 + " times the first batch's "
                    + firstLoss + "; training may be diverging");
        }
    }

    /** Loss and metrics on a dataset, in eval mode without gradients; restores the previous mode. */
    public Evaluation evaluate(Dataset data) {
        boolean wasTraining = model.isTraining();
        model.eval();
        double lossSum = 0;
        int n = data.size();
        int[] pred = cfg.task == Task.CLASSIFICATION ? new int[n] : null;
        float[] out = cfg.task == Task.REGRESSION ? new float[n * Math.max(1, data.targetWidth())] : null;
        int pos = 0;
        try (DataLoader loader = DataLoader.builder(data).batchSize(Math.max(cfg.batchSize, 256)).shuffle(false).prefetch(false).build();
             GradMode ng = GradMode.noGrad()) {
            for (Batch b : loader) {
                try (MemoryScope s = MemoryScope.open()) {
                    Tensor o = model.forward(features(b));
                    lossSum += loss.forward(o, targets(b)).item() * b.size();
                    if (pred != null) {
                        long[] a = o.argmax(o.dim() - 1, false).toLongArray();
                        for (int i = 0; i < a.length; i++) pred[pos + i] = (int) a[i];
                    } else {
                        float[] v = o.toFloatArray();
                        System.arraycopy(v, 0, out, pos * Math.max(1, data.targetWidth()), v.length);
                    }
                    pos += b.size();
                }
            }
        } finally {
            model.setTraining(wasTraining);
        }
        double meanLoss = lossSum / Math.max(n, 1);
        if (pred != null) return Evaluation.classification(meanLoss, ClassificationMetrics.of(pred, data.labels(), data.numClasses()));
        return Evaluation.regression(meanLoss, RegressionMetrics.of(out, data.targets()));
    }

    private Tensor features(Batch b) {
        int[] s = b.shape();
        long[] shape = new long[s.length];
        for (int i = 0; i < s.length; i++) shape[i] = s[i];
        Tensor x = Tensor.of(b.features(), shape);
        DType dt = optimizer.params().get(0).dtype();
        return dt == DType.F32 ? x : x.to(dt);
    }

    private Tensor targets(Batch b) {
        if (cfg.task == Task.CLASSIFICATION) {
            if (!b.hasLabels()) throw new EngineException("trainer: classification needs class labels, the dataset has none");
            int[] l = b.labels();
            long[] v = new long[l.length];
            for (int i = 0; i < l.length; i++) v[i] = l[i];
            return Tensor.ofLongs(v, v.length);
        }
        float[] t = b.targets();
        int width = t.length / Math.max(1, b.size());
        Tensor y = width == 1 ? Tensor.of(t, b.size()) : Tensor.of(t, b.size(), width);
        DType dt = optimizer.params().get(0).dtype();
        return dt == DType.F32 ? y : y.to(dt);
    }

    // ---- checkpoints ------------------------------------------------------------------------------

    private List<Dropout> dropouts() {
        List<Dropout> out = new ArrayList<>();
        collectDropouts(model, out);
        return out;
    }

    private static void collectDropouts(Module m, List<Dropout> out) {
        if (m instanceof Dropout d) out.add(d);
        for (Module c : m.children().values()) collectDropouts(c, out);
    }

    private void save(Path file, int epochsDone, History history) {
        try (MemoryScope s = MemoryScope.open()) {
            Map<String, Tensor> all = new LinkedHashMap<>();
            Checkpoint.put(all, "model.", model.stateDict());
            Checkpoint.put(all, "optim.", optimizer.stateDict());
            List<Dropout> ds = dropouts();
            long[] offsets = new long[ds.size()];
            for (int i = 0; i < offsets.length; i++) offsets[i] = ds.get(i).offset();
            all.put("trainer.state", Tensor.ofLongs(new long[]{epochsDone, bestEpoch, badEpochs, cfg.scheduler == null ? 0 : cfg.scheduler.lastEpoch()}, 4));
            all.put("trainer.best", Tensor.of(new double[]{best}, 1));
            if (scaler != null) all.put("trainer.loss_scale", Tensor.of(new double[]{scaler.scale(), scaler.cleanSteps()}, 2));
            if (offsets.length > 0) all.put("trainer.dropout_offsets", Tensor.ofLongs(offsets, offsets.length));
            for (String name : history.metricNames()) {
                double[] series = history.series(name);
                if (series.length > 0) all.put("history." + name, Tensor.of(series, series.length));
            }
            double[] secs = new double[history.size()], rate = new double[history.size()];
            for (int i = 0; i < secs.length; i++) { secs[i] = history.epochs().get(i).seconds(); rate[i] = history.epochs().get(i).samplesPerSecond(); }
            if (secs.length > 0) {
                all.put("history_time.seconds", Tensor.of(secs, secs.length));
                all.put("history_time.rate", Tensor.of(rate, rate.length));
            }
            try {
                Files.createDirectories(file.getParent());
            } catch (java.io.IOException e) {
                throw new EngineException("checkpoint: cannot create " + file.getParent() + ": " + e.getMessage(), e);
            }
            Checkpoint.write(file, all);
        }
    }

    /** Loads a checkpoint into the model, optimizer, schedule and counters; returns the next epoch. */
    private int restore(Path file, History history) {
        try (MemoryScope s = MemoryScope.open()) {
            Map<String, Tensor> all = Checkpoint.read(file);
            model.loadStateDict(Checkpoint.section(all, "model."));
            Tensor st = all.get("trainer.state");
            if (st == null) throw new dev.engine.api.ModelFormatException(file + ": not a trainer checkpoint (no trainer.state)");
            long[] state = st.toLongArray();
            if (cfg.scheduler != null) for (long i = cfg.scheduler.lastEpoch(); i < state[3]; i++) cfg.scheduler.step();
            optimizer.loadStateDict(Checkpoint.section(all, "optim."));
            bestEpoch = (int) state[1];
            Path bestFile = file.resolveSibling("best.safetensors");
            if (cfg.restoreBest && cfg.patience != Integer.MAX_VALUE && Files.isRegularFile(bestFile))
                bestWeights = WeightSnapshot.of(Checkpoint.section(Checkpoint.read(bestFile), "model."));
            badEpochs = (int) state[2];
            best = all.get("trainer.best").item();
            Tensor ls = all.get("trainer.loss_scale");
            if (scaler != null && ls != null) {
                double[] v = ls.toDoubleArray();
                scaler.restore(v[0], (int) v[1]);
            }
            Tensor off = all.get("trainer.dropout_offsets");
            if (off != null) {
                long[] o = off.toLongArray();
                List<Dropout> ds = dropouts();
                for (int i = 0; i < Math.min(o.length, ds.size()); i++) ds.get(i).setOffset(o[i]);
            }
            Map<String, Tensor> hist = Checkpoint.section(all, "history.");
            double[] secs = all.containsKey("history_time.seconds") ? all.get("history_time.seconds").toDoubleArray() : new double[0];
            double[] rate = all.containsKey("history_time.rate") ? all.get("history_time.rate").toDoubleArray() : new double[0];
            for (int e = 0; e < state[0]; e++) {
                Map<String, Double> m = new LinkedHashMap<>();
                for (Map.Entry<String, Tensor> h : hist.entrySet()) {
                    double[] series = h.getValue().toDoubleArray();
                    if (e < series.length && !Double.isNaN(series[e])) m.put(h.getKey(), series[e]);
                }
                history.add(new EpochStats(e, m, e < secs.length ? secs[e] : 0, e < rate.length ? rate[e] : 0));
            }
            cfg.progress.message("resumed from " + file + " after epoch " + state[0]);
            return (int) state[0];
        }
    }

    public Module model() { return model; }
    public Optimizer optimizer() { return optimizer; }
    /** The epoch (0-based) with the best monitored value, or -1. */
    public int bestEpoch() { return bestEpoch; }
    public boolean stoppedEarly() { return stopped; }
    /**
     * The epoch (0-based) whose weights the model holds after {@link #fit}: the best one when early stopping
     * restored it, else the last one; -1 before fit.
     */
    public int keptEpoch() { return keptEpoch; }
}
