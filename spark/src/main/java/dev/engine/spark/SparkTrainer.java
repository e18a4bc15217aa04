package dev.engine.spark;

import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.ModelFormatException;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.nn.Module;
import dev.engine.nn.loss.Loss;
import dev.engine.optim.Optimizer;
import dev.engine.train.Checkpoint;
import dev.engine.train.EpochStats;
import dev.engine.train.Evaluation;
import dev.engine.train.History;
import dev.engine.train.Progress;
import dev.engine.train.Trainer;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;
import scala.reflect.ClassTag$;

/**
 * Data-parallel training on Spark by synchronous parameter averaging (the scheme of Deeplearning4j's
 * parameter-averaging master). The rows are split into {@code workers} fixed shards. Each round the driver
 * broadcasts the model's weights and the optimizer's state; every worker trains {@code averagingFrequency}
 * batches of its shard from them; {@code treeAggregate} sums the results and the driver averages them into
 * its model and optimizer. An epoch is as many rounds as the largest shard has batches / K. With
 * {@code .mode(Mode.GRADIENT_AVERAGING)} the workers instead average their gradients every step inside a
 * barrier stage ({@link Mode#GRADIENT_AVERAGING}), which for small models matches single-process training.
 *
 * <p>A round is a pure function of the broadcast state and the shard, so a failed or retried task (a lost
 * executor, {@code spark.task.maxFailures}) recomputes the same contribution and nothing is applied twice.
 * With {@link Builder#checkpointDir} the driver writes its state after every round (atomically, checksummed),
 * and {@link Builder#resume} continues a failed job from the last finished round.
 *
 * <p>The model, loss and optimizer are given as serializable factories: each worker builds its own copy
 * (the factory's initial weights are overwritten by the broadcast ones).
 *
 * <pre>{@code
 * SparkTrainer t = SparkTrainer.builder(
 *             () -> new Sequential(new Linear(64, 128), new ReLU(), new Linear(128, 10)),
 *             CrossEntropyLoss::new,
 *             params -> new Adam(params, 1e-3))
 *         .workers(4).averagingFrequency(2).epochs(30).batchSize(32)
 *         .featuresCol("features").labelCol("label")
 *         .checkpointDir(Path.of("/shared/ckpt")).build();
 * History h = t.fit(trainDf);           // a DataFrame: features (Vector or array), label (class index)
 * Module trained = t.model();
 *
 * // synchronous SGD: gradients averaged every step, 50 steps per barrier stage
 * SparkTrainer sync = SparkTrainer.builder(...).mode(SparkTrainer.Mode.GRADIENT_AVERAGING)
 *         .workers(4).averagingFrequency(50).epochs(30).build();
 * }</pre>
 */
public final class SparkTrainer {
    /** How workers combine their work. */
    public enum Mode {
        /**
         * Each worker trains {@code averagingFrequency} batches on its own, then the driver averages their weights
         * and optimizer states (few exchanges; suits larger models and slower networks).
         */
        PARAMETER_AVERAGING,
        /**
         * Every step, the workers exchange their batch gradients and all apply the row-weighted mean: synchronous
         * data-parallel SGD, step for step a single process training on batches {@code workers} times larger. The
         * workers run as one barrier stage (all at once; needs {@code workers} free task slots) and send their
         * gradients to worker 0 over direct TCP connections, which returns the mean to all: traffic grows with
         * workers x parameters per step, so it suits small models. {@code averagingFrequency} is the steps of one
         * stage; each stage costs about a second to meet (Spark's barrier call) and the driver collects the
         * weights, and checkpoints, between stages, so give it many steps (e.g. an epoch's).
         */
        GRADIENT_AVERAGING
    }

    /** Builds the model; called once on the driver and once per worker and round. */
    @FunctionalInterface public interface ModelFactory extends Serializable { Module create(); }
    /** Builds the loss. */
    @FunctionalInterface public interface LossFactory extends Serializable { Loss create(); }
    /** Builds the optimizer over the given parameters. */
    @FunctionalInterface public interface OptimizerFactory extends Serializable { Optimizer create(List<Tensor> params); }
    /** Runs at the start of every worker's round, before any step: the tests' fault-injection seam, not public API. */
    @FunctionalInterface interface RoundHook extends Serializable { void beforeLocalSteps(int epoch, int round, int worker, int attempt); }
    /** Runs on the driver after every round's result is applied: the tests' step-by-step seam, not public API. */
    @FunctionalInterface interface RoundListener { void afterRound(int epoch, int round); }

    /** Everything a worker needs, serialized into each task. */
    static final class Config implements Serializable {
        private static final long serialVersionUID = 1L;
        final ModelFactory model;
        final LossFactory loss;
        final OptimizerFactory optimizer;
        int workers = 2, averagingFrequency = 1, epochs = 10, batchSize = 32;
        Mode mode = Mode.PARAMETER_AVERAGING;
        long seed;
        boolean shuffle = true;
        int[] featureShape;
        String featuresCol = "features", labelCol = "label";
        DType precision;  // null: full precision; BF16: every worker's forward under Autocast
        RoundHook hook;

        Config(ModelFactory m, LossFactory l, OptimizerFactory o) { model = m; loss = l; optimizer = o; }

        long[] inputShape(int n) {
            long[] s = new long[featureShape.length + 1];
            s[0] = n;
            for (int i = 0; i < featureShape.length; i++) s[i + 1] = featureShape[i];
            return s;
        }
    }

    public static Builder builder(ModelFactory model, LossFactory loss, OptimizerFactory optimizer) { return new Builder(model, loss, optimizer); }

    /** Configuration; every setter validates its value. */
    public static final class Builder {
        private final Config cfg;
        private Dataset<Row> validation;
        private Path checkpointDir;
        private boolean resume;
        private Progress progress = Progress.silent();
        private RoundListener listener;

        private Builder(ModelFactory m, LossFactory l, OptimizerFactory o) {
            if (m == null || l == null || o == null) throw new EngineException("spark trainer: model, loss and optimizer factories are required");
            cfg = new Config(m, l, o);
        }

        /** Shards, one task each per round (default 2); at most the executors' total cores for every worker to run at once. */
        public Builder workers(int n) { if (n < 1) throw new EngineException("spark trainer: workers " + n + " must be >= 1"); cfg.workers = n; return this; }
        /** {@link Mode#PARAMETER_AVERAGING} (the default) or {@link Mode#GRADIENT_AVERAGING}. */
        public Builder mode(Mode m) { if (m == null) throw new EngineException("spark trainer: mode must not be null"); cfg.mode = m; return this; }
        /**
         * Local batches each worker trains between averagings (default 1); with {@link Mode#GRADIENT_AVERAGING},
         * the synchronous steps of one barrier stage between the driver's collections and checkpoints.
         */
        public Builder averagingFrequency(int k) {
            if (k < 1) throw new EngineException("spark trainer: averaging frequency " + k + " must be >= 1");
            cfg.averagingFrequency = k;
            return this;
        }
        public Builder epochs(int n) { if (n < 1) throw new EngineException("spark trainer: epochs " + n + " must be >= 1"); cfg.epochs = n; return this; }
        /** Rows per local batch on each worker (default 32). */
        public Builder batchSize(int n) { if (n < 1) throw new EngineException("spark trainer: batch size " + n + " must be >= 1"); cfg.batchSize = n; return this; }
        /** Seeds each worker's per-epoch shuffle of its shard. */
        /**
         * {@link DType#BF16}: every worker's products in bfloat16 with F32 sums ({@code Autocast}; weights, gradients and
         * optimizer state stay F32); {@link DType#F32} or null: full precision (the default). F16 needs a loss
         * scale agreed between workers and is refused.
         */
        public Builder mixedPrecision(DType p) {
            if (p != null && p != DType.F32 && p != DType.BF16)
                throw new EngineException("spark trainer: mixed precision is BF16 or F32, not " + p + (p == DType.F16 ? " (F16 needs a loss scaler, which the Trainer has)" : ""));
            cfg.precision = p == DType.F32 ? null : p;
            return this;
        }

        public Builder seed(long s) { cfg.seed = s; return this; }
        public Builder shuffle(boolean s) { cfg.shuffle = s; return this; }
        /** The shape of one sample, e.g. {1, 28, 28} for a convolutional model (default: the flat row). */
        public Builder featureShape(int... shape) {
            for (int d : shape) if (d < 1) throw new EngineException("spark trainer: feature shape " + java.util.Arrays.toString(shape) + " has a dimension < 1");
            cfg.featureShape = shape.clone();
            return this;
        }
        /** The features column: an ML Vector, array<float> or array<double> (default "features"). */
        public Builder featuresCol(String c) { cfg.featuresCol = c; return this; }
        /** The class-index column, any numeric type (default "label"). */
        public Builder labelCol(String c) { cfg.labelCol = c; return this; }
        /** Validation rows (same columns), evaluated on the driver after every epoch: val_loss, val_accuracy, ... */
        public Builder validation(Dataset<Row> v) { validation = v; return this; }
        /** A driver-side directory for last.safetensors, rewritten atomically after every round. */
        public Builder checkpointDir(Path dir) { checkpointDir = dir; return this; }
        /** Continues from checkpointDir/last.safetensors, which must exist. */
        public Builder resume(boolean r) { resume = r; return this; }
        public Builder progress(Progress p) { progress = p == null ? Progress.silent() : p; return this; }
        /** Called at the start of every worker's round (tests inject failures with it). */
        Builder roundHook(RoundHook h) { cfg.hook = h; return this; }
        /** Called on the driver after every round (tests follow training step by step with it). */
        Builder roundListener(RoundListener l) { listener = l; return this; }

        public SparkTrainer build() {
            if (resume && checkpointDir == null) throw new EngineException("spark trainer: resume needs a checkpoint directory (checkpointDir)");
            return new SparkTrainer(this);
        }
    }

    private final Config cfg;
    private final Dataset<Row> validation;
    private final Path checkpointDir;
    private final boolean resume;
    private final Progress progress;
    private final RoundListener listener;
    private final Module model;
    private final Optimizer optimizer;
    private final Loss loss;
    private dev.engine.data.Dataset validationRows;

    private SparkTrainer(Builder b) {
        cfg = b.cfg;
        validation = b.validation;
        checkpointDir = b.checkpointDir;
        resume = b.resume;
        progress = b.progress;
        listener = b.listener;
        model = cfg.model.create();
        optimizer = cfg.optimizer.create(model.parameters());
        loss = cfg.loss.create();
    }

    /** The driver's model: after {@link #fit}, the averaged weights of the last round. */
    public Module model() { return model; }
    public Optimizer optimizer() { return optimizer; }

    /** Loss and metrics of the driver's model on local rows (as {@link Trainer#evaluate}). */
    public Evaluation evaluate(dev.engine.data.Dataset data) {
        return Trainer.builder(model, loss, optimizer).batchSize(Math.max(cfg.batchSize, 256)).build().evaluate(data);
    }

    /** Trains on {@code train}; returns the per-epoch history (including epochs restored from a checkpoint). */
    public History fit(Dataset<Row> train) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(train.sparkSession().sparkContext());
        Shards shards = Shards.of(train, cfg);
        if (cfg.featureShape == null) cfg.featureShape = new int[]{shards.features()};
        else if (java.util.Arrays.stream(cfg.featureShape).asLongStream().reduce(1, (a, c) -> a * c) != shards.features())
            throw new EngineException("spark trainer: feature shape " + java.util.Arrays.toString(cfg.featureShape) + " does not hold the "
                    + shards.features() + " values of a row");
        if (validation != null && validationRows == null) validationRows = Shards.local(validation, cfg);
        int epochSteps = shards.maxSteps(cfg.batchSize), rounds = (epochSteps + cfg.averagingFrequency - 1) / cfg.averagingFrequency;
        History history = new History();
        Position at = resume ? restore(history) : new Position(0, 0, 0, 0, 0);
        if (at.epoch >= cfg.epochs)
            throw new EngineException("spark trainer: the checkpoint has already trained " + at.epoch + " epochs; ask for more than " + at.epoch
                    + " to continue (asked for " + cfg.epochs + ")");
        try {
            for (int epoch = at.epoch; epoch < cfg.epochs; epoch++) {
                long t0 = System.nanoTime();
                boolean resumed = epoch == at.epoch;
                double lossSum = resumed ? at.lossSum : 0, priorSecs = resumed ? at.seconds : 0;
                long samples = resumed ? at.samples : 0;
                progress.startEpoch(epoch, cfg.epochs, rounds);
                for (int round = resumed ? at.round : 0; round < rounds; round++) {
                    RoundResult r = runRound(jsc, shards.rdd(), epoch, round, epochSteps);
                    if (listener != null) listener.afterRound(epoch, round);
                    lossSum += r.lossSum;
                    samples += r.samples;
                    progress.batch(epoch, round + 1, lossSum / Math.max(samples, 1), samples);
                    if (round + 1 < rounds && checkpointDir != null)
                        save(history, new Position(epoch, round + 1, lossSum, samples, priorSecs + (System.nanoTime() - t0) / 1e9));
                }
                double secs = priorSecs + (System.nanoTime() - t0) / 1e9;
                Map<String, Double> m = new LinkedHashMap<>();
                m.put("train_loss", lossSum / Math.max(samples, 1));
                if (validationRows != null) evaluate(validationRows).metrics().forEach((k, v) -> m.put("val_" + k, v));
                m.put("lr", optimizer.lr());
                EpochStats stats = new EpochStats(epoch, m, secs, samples / Math.max(secs, 1e-9));
                history.add(stats);
                progress.endEpoch(stats, cfg.epochs);
                if (checkpointDir != null) save(history, new Position(epoch + 1, 0, 0, 0, 0));
            }
        } finally {
            shards.rdd().unpersist(false);
        }
        return history;
    }

    /**
     * One round: broadcast, K steps per worker (local ones, or synchronous ones in a barrier stage), sum, average
     * into the driver's model and optimizer (in gradient averaging only worker 0 returns its state, the same as
     * every other worker's, so the average is that state).
     */
    private RoundResult runRound(JavaSparkContext jsc, JavaRDD<Shard> shards, int epoch, int round, int epochSteps) {
        RoundState state = new RoundState(epoch, round, epochSteps, TensorState.of(model.stateDict()), TensorState.of(optimizer.stateDict()));
        Broadcast<RoundState> b = jsc.broadcast(state);
        RoundResult r;
        try {
            if (cfg.mode == Mode.GRADIENT_AVERAGING) {
                // Spark reruns a failed barrier stage only when it is a shuffle-map stage (a failed barrier result
                // stage aborts the job), hence the shuffle to one partition rather than a plain collect
                r = RoundResult.EMPTY;
                for (RoundResult part : shards.rdd().barrier().mapPartitions(new SyncRound(b, cfg), true, ClassTag$.MODULE$.apply(RoundResult.class))
                        .toJavaRDD().mapToPair(x -> new Tuple2<>(0, x)).reduceByKey(RoundResult::plus, 1).values().collect())
                    r = r.plus(part);
            } else {
                r = shards.mapPartitionsWithIndex(new LocalRound(b, cfg), true)
                        .treeAggregate(RoundResult.EMPTY, RoundResult::plus, RoundResult::plus);
            }
        } finally {
            b.destroy();
        }
        if (r.workers == 0) return r;
        if (!Double.isFinite(r.lossSum))
            throw new EngineException("spark trainer: training diverged: the summed loss is " + r.lossSum + " at epoch " + (epoch + 1) + ", round " + (round + 1));
        double w = 1.0 / r.workers;
        try (MemoryScope s = MemoryScope.open(); GradMode g = GradMode.noGrad()) {
            model.loadStateDict(r.model.times(w).tensors());
            optimizer.loadStateDict(r.optimizer.times(w).tensors());
        }
        return r;
    }

    // ---- checkpoints ------------------------------------------------------------------------------

    /** Where training stands: the next epoch and round, and the unfinished epoch's loss, rows and time so far. */
    private record Position(int epoch, int round, double lossSum, long samples, double seconds) {}

    private void save(History history, Position at) {
        try (MemoryScope s = MemoryScope.open()) {
            Map<String, Tensor> all = new LinkedHashMap<>();
            model.stateDict().forEach((k, v) -> all.put("model." + k, v));
            optimizer.stateDict().forEach((k, v) -> all.put("optim." + k, v));
            all.put("spark.position", Tensor.ofLongs(new long[]{at.epoch, at.round, at.samples, cfg.workers, cfg.averagingFrequency, cfg.batchSize,
                    cfg.mode.ordinal()}, 7));
            all.put("spark.partial", Tensor.of(new double[]{at.lossSum, at.seconds}, 2));
            for (String name : history.metricNames()) all.put("history." + name, Tensor.of(history.series(name), history.size()));
            if (history.size() > 0) {
                double[] secs = new double[history.size()], rate = new double[history.size()];
                for (int i = 0; i < secs.length; i++) { secs[i] = history.epochs().get(i).seconds(); rate[i] = history.epochs().get(i).samplesPerSecond(); }
                all.put("history_time.seconds", Tensor.of(secs, secs.length));
                all.put("history_time.rate", Tensor.of(rate, rate.length));
            }
            try {
                Files.createDirectories(checkpointDir);
            } catch (java.io.IOException e) {
                throw new EngineException("spark trainer: cannot create " + checkpointDir + ": " + e.getMessage(), e);
            }
            Checkpoint.write(checkpointDir.resolve("last.safetensors"), all);
        }
    }

    private Position restore(History history) {
        Path file = checkpointDir.resolve("last.safetensors");
        if (!Files.isRegularFile(file)) throw new EngineException("spark trainer: nothing to resume: " + file + " does not exist");
        try (MemoryScope s = MemoryScope.open(); GradMode g = GradMode.noGrad()) {
            Map<String, Tensor> all = Checkpoint.read(file);
            Tensor pos = all.get("spark.position");
            if (pos == null) throw new ModelFormatException(file + ": not a SparkTrainer checkpoint (no spark.position)");
            long[] p = pos.toLongArray();
            Mode written = p.length > 6 ? Mode.values()[(int) p[6]] : Mode.PARAMETER_AVERAGING;
            if (p[3] != cfg.workers || p[4] != cfg.averagingFrequency || p[5] != cfg.batchSize || written != cfg.mode)
                throw new EngineException("spark trainer: " + file + " was written with workers " + p[3] + ", averaging frequency " + p[4]
                        + ", batch size " + p[5] + ", mode " + written + "; resume with the same (asked for " + cfg.workers + ", "
                        + cfg.averagingFrequency + ", " + cfg.batchSize + ", " + cfg.mode + ")");
            model.loadStateDict(Checkpoint.section(all, "model."));
            optimizer.loadStateDict(Checkpoint.section(all, "optim."));
            double[] partial = all.get("spark.partial").toDoubleArray();
            Map<String, Tensor> hist = Checkpoint.section(all, "history.");
            double[] secs = all.containsKey("history_time.seconds") ? all.get("history_time.seconds").toDoubleArray() : new double[0];
            double[] rate = all.containsKey("history_time.rate") ? all.get("history_time.rate").toDoubleArray() : new double[0];
            for (int e = 0; e < secs.length; e++) {
                Map<String, Double> m = new LinkedHashMap<>();
                for (Map.Entry<String, Tensor> h : hist.entrySet()) {
                    double[] series = h.getValue().toDoubleArray();
                    if (e < series.length && !Double.isNaN(series[e])) m.put(h.getKey(), series[e]);
                }
                history.add(new EpochStats(e, m, secs[e], rate[e]));
            }
            progress.message("resumed from " + file + " at epoch " + (p[0] + 1) + ", round " + (p[1] + 1));
            return new Position((int) p[0], (int) p[1], partial[0], p[2], partial[1]);
        }
    }
}
