package dev.engine.train.search;

import dev.engine.api.EngineException;
import dev.engine.autograd.Generator;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.data.Dataset;
import dev.engine.data.KFold;
import dev.engine.nn.Dropout;
import dev.engine.nn.Linear;
import dev.engine.nn.Module;
import dev.engine.nn.ReLU;
import dev.engine.nn.Sequential;
import dev.engine.nn.loss.Loss;
import dev.engine.optim.Adam;
import dev.engine.optim.AdamW;
import dev.engine.optim.Optimizer;
import dev.engine.optim.RMSProp;
import dev.engine.optim.SGD;
import dev.engine.train.EpochStats;
import dev.engine.train.History;
import dev.engine.train.Task;
import dev.engine.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

/**
 * An {@link Objective} that trains a model with the {@link Trainer}: for each trial it builds a fresh
 * model with the user's factory, an optimizer (by default from the trial's {@code optimizer}, {@code lr},
 * {@code weight_decay}, {@code momentum}), trains for the epoch budget with the trial's {@code batch} or
 * {@code batch_size} (else the default) and data order seeded by {@link Trial#seed()}, and returns a
 * validation metric from the history: the last epoch's by default, or the best epoch's. Every epoch
 * metric of the last epoch comes back as an extra. Tensors created during a trial are released when it
 * ends (one {@link MemoryScope} per trial).
 *
 * <p>With {@link Builder#checkpointRoot} each trial keeps its trainer checkpoint (in a directory named by
 * its id, seed and parameters) and a later, larger budget for the same trial (the next successive-halving
 * round) resumes from it instead of training from scratch: the trainer's bit-identical resume makes the
 * result the same, only cheaper. With {@link Builder#crossValidation} a trial is scored by k-fold
 * cross-validation on the training data.
 *
 * <pre>{@code
 * TrainerObjective objective = TrainerObjective.builder(
 *                 TrainerObjective.mlp(64, 10),            // hidden=[..] and dropout from the trial
 *                 new CrossEntropyLoss(), train, validation)
 *         .metric("val_accuracy")                           // maximised; "val_loss" would be minimised
 *         .configure((trial, b) -> b.clipGradNorm(1.0))
 *         .build();
 * // or a custom model; seed it from the trial so that the search is reproducible
 * TrainerObjective.builder(trial -> new Sequential(new Linear(64, trial.getInt("hidden"), new Generator(trial.seed())), ...), ...)
 * }</pre>
 */
public final class TrainerObjective implements Objective {
    /** Builds a fresh, untrained model for a trial (seed it from {@link Trial#seed()}). */
    @FunctionalInterface
    public interface ModelFactory {
        Module create(Trial trial);
    }

    /** Builds the optimizer of a trial's model. */
    @FunctionalInterface
    public interface OptimizerFactory {
        Optimizer create(Trial trial, List<Tensor> params);
    }

    private final Builder cfg;
    private final String metric;
    private final Direction direction;
    private final Map<Path, Integer> trainedEpochs = new HashMap<>();

    private TrainerObjective(Builder b) {
        this.cfg = b;
        if (b.folds > 0 && b.validation != null) {
            throw new EngineException("cross-validation validates on folds of the training data: pass no validation dataset");
        }
        boolean validated = b.validation != null || b.folds > 0;
        this.metric = b.metric != null ? b.metric
                : !validated ? "train_loss" : b.task == Task.CLASSIFICATION ? "val_accuracy" : "val_loss";
        this.direction = b.direction != null ? b.direction : Direction.forMetric(metric);
        if (metric.startsWith("val_") && !validated) {
            throw new EngineException("metric '" + metric + "' needs a validation dataset");
        }
    }

    /** {@code validation} may be null only when the metric is a training one ({@code train_loss}). */
    public static Builder builder(ModelFactory models, Loss loss, Dataset train, Dataset validation) {
        return new Builder(models, loss, train, validation);
    }

    /** Configuration; defaults: batch 32, classification, last-epoch val_accuracy (val_loss for regression). */
    public static final class Builder {
        private final ModelFactory models;
        private final Loss loss;
        private final Dataset train, validation;
        private OptimizerFactory optimizers = TrainerObjective::defaultOptimizer;
        private String metric;
        private Direction direction;
        private int batchSize = 32;
        private Task task = Task.CLASSIFICATION;
        private boolean bestEpoch;
        private BiConsumer<Trial, Trainer.Builder> configure = (t, b) -> { };
        private Path checkpointRoot;
        private int folds;
        private long foldSeed;
        private boolean stratified;

        private Builder(ModelFactory models, Loss loss, Dataset train, Dataset validation) {
            if (models == null || loss == null || train == null) throw new EngineException("a trainer objective needs a model factory, a loss and training data");
            this.models = models;
            this.loss = loss;
            this.train = train;
            this.validation = validation;
        }

        public Builder optimizer(OptimizerFactory f) { optimizers = f; return this; }

        /** The history metric to report: "val_accuracy", "val_loss", "val_macro_f1", "val_r2", "train_loss", ... */
        public Builder metric(String name) { metric = name; return this; }

        /** Default: inferred from the metric name (losses and errors minimised). */
        public Builder direction(Direction d) { direction = d; return this; }

        /** Batch size when the trial has no {@code batch} / {@code batch_size} parameter. */
        public Builder batchSize(int n) {
            if (n < 1) throw new EngineException("batch size " + n + " must be >= 1");
            batchSize = n;
            return this;
        }

        public Builder task(Task t) { task = t; return this; }

        /** Report the best epoch's metric instead of the last one's. */
        public Builder bestEpoch(boolean b) { bestEpoch = b; return this; }

        /** Further trainer settings per trial (clipping, schedules, early stopping, progress...). */
        public Builder configure(BiConsumer<Trial, Trainer.Builder> c) { configure = c; return this; }

        /**
         * Keeps each trial's checkpoint under {@code root} so that a larger budget for the same trial resumes
         * instead of starting over (see the class comment); null (the default) keeps nothing.
         */
        public Builder checkpointRoot(Path root) { checkpointRoot = root; return this; }

        /**
         * Scores each trial by {@code k}-fold cross-validation on the training data instead of the validation
         * set (which must then be null): the mean of the folds' metric, with {@code <metric>_std} and the
         * folds' mean extras; the folds are the same for every trial ({@link KFold}, seeded by {@code seed}).
         */
        public Builder crossValidation(int k, long seed, boolean stratified) {
            if (k < 2) throw new EngineException("cross-validation needs k >= 2, got " + k);
            folds = k;
            foldSeed = seed;
            this.stratified = stratified;
            return this;
        }

        public TrainerObjective build() { return new TrainerObjective(this); }
    }

    @Override public String metricName() { return metric; }

    @Override public Direction direction() { return direction; }

    @Override public TrialResult evaluate(Trial trial, int epochBudget) {
        if (cfg.folds == 0) return trainOnce(trial, epochBudget, cfg.train, cfg.validation, cfg.checkpointRoot == null ? null : prepareCheckpoint(trial, epochBudget, null));
        // k-fold cross-validation: the same folds for every trial; mean metric, its standard deviation as an extra
        List<KFold.Fold> folds = KFold.split(cfg.train, cfg.folds, cfg.foldSeed, cfg.stratified);
        double[] values = new double[folds.size()];
        Map<String, Double> sums = new LinkedHashMap<>();
        int epochs = 0;
        for (KFold.Fold f : folds) {
            TrialResult r = trainOnce(trial, epochBudget, f.train(), f.validation(),
                    cfg.checkpointRoot == null ? null : prepareCheckpoint(trial, epochBudget, "fold-" + f.index()));
            values[f.index()] = r.metric();
            r.extras().forEach((k, v) -> sums.merge(k, v, Double::sum));
            epochs = Math.max(epochs, r.epochs());
        }
        double mean = 0, sq = 0;
        for (double v : values) mean += v / values.length;
        for (double v : values) sq += (v - mean) * (v - mean);
        Map<String, Double> extras = new LinkedHashMap<>();
        extras.put(metric + "_std", Math.sqrt(sq / Math.max(1, values.length - 1)));
        sums.forEach((k, v) -> extras.put(k, v / folds.size()));
        return new TrialResult(mean, extras, epochs);
    }

    private TrialResult trainOnce(Trial trial, int epochBudget, Dataset train, Dataset validation, Path checkpoint) {
        try (MemoryScope scope = MemoryScope.open()) {
            Module model = cfg.models.create(trial);
            Optimizer opt = cfg.optimizers.create(trial, model.parameters());
            int batch = trial.has("batch_size") ? trial.getInt("batch_size") : trial.getInt("batch", cfg.batchSize);
            Trainer.Builder tb = Trainer.builder(model, cfg.loss, opt).epochs(epochBudget).batchSize(batch).seed(trial.seed()).task(cfg.task);
            if (validation != null) tb.validation(validation);
            if (checkpoint != null) tb.checkpointDir(checkpoint).resume(Files.isRegularFile(checkpoint.resolve("last.safetensors")));
            cfg.configure.accept(trial, tb);
            History h = tb.build().fit(train);
            EpochStats last = h.last();
            double value = last.metric(metric);
            if (cfg.bestEpoch) {
                for (double v : h.series(metric)) if (direction.isBetter(v, value)) value = v;
            }
            Map<String, Double> extras = new LinkedHashMap<>(last.metrics());
            extras.remove(metric);
            return new TrialResult(value, extras, h.size());
        }
    }

    /**
     * The trial's checkpoint directory, emptied unless this objective trained it before for fewer than
     * {@code budget} epochs (a stale directory from another run, or a longer run, cannot be rewound).
     */
    private synchronized Path prepareCheckpoint(Trial trial, int budget, String fold) {
        Path dir = fold == null ? checkpointDir(trial) : checkpointDir(trial).resolve(fold);
        Integer trained = trainedEpochs.get(dir);
        if ((trained == null || trained >= budget) && Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
            } catch (IOException e) {
                throw new dev.engine.api.EngineException("cannot clear the stale checkpoint " + dir + ": " + e.getMessage(), e);
            }
        }
        trainedEpochs.put(dir, budget);
        return dir;
    }

    /** Where a trial's checkpoint lives under the checkpoint root: its id, seed and a hash of its parameters. */
    public Path checkpointDir(Trial trial) {
        if (cfg.checkpointRoot == null) throw new EngineException("no checkpoint root configured");
        StringBuilder key = new StringBuilder();
        for (Map.Entry<String, Object> e : trial.params().entrySet()) key.append(e.getKey()).append('=').append(Values.format(e.getValue())).append(';');
        long h = Generator.mixPair(trial.seed(), key.toString().hashCode());
        return cfg.checkpointRoot.resolve(String.format(Locale.ROOT, "trial-%d-%016x", trial.id(), h));
    }

    /**
     * The default optimizer: trial {@code optimizer} (adam, adamw, sgd or rmsprop; default adam) with
     * {@code lr} (default 1e-3), {@code weight_decay} (default 0, AdamW 0.01) and {@code momentum}
     * (SGD and RMSProp, default 0).
     */
    public static Optimizer defaultOptimizer(Trial trial, List<Tensor> params) {
        String name = trial.getString("optimizer", "adam").toLowerCase(Locale.ROOT);
        double lr = trial.getDouble("lr", 1e-3);
        double momentum = trial.getDouble("momentum", 0);
        switch (name) {
            case "adam": return new Adam(params, lr, 0.9, 0.999, 1e-8, trial.getDouble("weight_decay", 0));
            case "adamw": return new AdamW(params, lr, 0.9, 0.999, 1e-8, trial.getDouble("weight_decay", 0.01));
            case "sgd": return new SGD(params, lr, momentum, 0, trial.getDouble("weight_decay", 0), false);
            case "rmsprop": return new RMSProp(params, lr, 0.99, 1e-8, trial.getDouble("weight_decay", 0), momentum);
            default: throw new EngineException("trial " + trial.id() + ": unknown optimizer '" + name + "' (adam, adamw, sgd, rmsprop)");
        }
    }

    /**
     * A ReLU MLP {@code inputs -> hidden... -> outputs} from the trial's {@code hidden} (an int or int[],
     * default [128]) and {@code dropout} (after each hidden layer when > 0, default 0), initialised from
     * {@link Trial#seed()}.
     */
    public static ModelFactory mlp(int inputs, int outputs) {
        if (inputs < 1 || outputs < 1) throw new EngineException("mlp: inputs and outputs must be >= 1");
        return trial -> {
            int[] hidden = trial.getIntArray("hidden", new int[] {128});
            double dropout = trial.getDouble("dropout", 0);
            Generator g = new Generator(trial.seed());
            Sequential s = new Sequential();
            int prev = inputs;
            for (int i = 0; i < hidden.length; i++) {
                if (hidden[i] < 1) throw new EngineException("trial " + trial.id() + ": hidden size " + hidden[i] + " must be >= 1");
                s.add(new Linear(prev, hidden[i], g));
                s.add(new ReLU());
                if (dropout > 0) s.add(new Dropout(dropout, trial.seed() + 1 + i));
                prev = hidden[i];
            }
            s.add(new Linear(prev, outputs, g));
            return s;
        };
    }
}
