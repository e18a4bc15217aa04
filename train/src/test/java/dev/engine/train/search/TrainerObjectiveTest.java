package dev.engine.train.search;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.EngineException;
import dev.engine.autograd.Generator;
import dev.engine.autograd.Tensor;
import dev.engine.data.Dataset;
import dev.engine.data.Digits;
import dev.engine.data.Split;
import dev.engine.nn.Dropout;
import dev.engine.nn.Linear;
import dev.engine.nn.ReLU;
import dev.engine.nn.Sequential;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.AdamW;
import dev.engine.optim.SGD;
import dev.engine.train.Progress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerObjectiveTest {
    private static Dataset scaled(Dataset d, int n) {
        float[] x = d.features();
        for (int i = 0; i < x.length; i++) x[i] /= 16f;
        int[] idx = new int[Math.min(n, d.size())];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        return Dataset.classification(x, d.featureShape(), d.labels()).subset(idx);
    }

    private static final Split DIGITS = Digits.trainTestSplit();
    private static final Dataset TRAIN = scaled(DIGITS.train(), 400), VAL = scaled(DIGITS.test(), 150);

    @Test void successiveHalvingResumesFromCheckpointsWithIdenticalResults(@TempDir Path dir) {
        SearchSpace space = SearchSpace.parse("hidden=choice:[16],[32,16]", "lr=loguniform:1e-3:3e-2", "dropout=uniform:0:0.3");
        SuccessiveHalving sh = new SuccessiveHalving(4, 1, 2, 2);   // 4 x 1 epoch, 2 x 2 epochs
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        TrainerObjective fresh = TrainerObjective.builder(TrainerObjective.mlp(64, 10), new CrossEntropyLoss(), TRAIN, VAL)
                .metric("val_loss").build();
        TrainerObjective resuming = TrainerObjective.builder(TrainerObjective.mlp(64, 10), new CrossEntropyLoss(), TRAIN, VAL)
                .metric("val_loss").checkpointRoot(dir).configure((t, tb) -> tb.progress(Progress.lines(new PrintStream(log, true)))).build();
        assertEquals(Direction.MINIMIZE, fresh.direction());
        SearchResults a = HyperparameterSearch.builder(space, fresh).strategy(sh).seed(9).build().run();
        SearchResults b = HyperparameterSearch.builder(space, resuming).strategy(sh).seed(9).build().run();
        assertEquals(6, a.evaluations().size());
        assertEquals(8, a.totalEpochs());
        for (int i = 0; i < 6; i++) {
            TrialRecord x = a.evaluations().get(i), y = b.evaluations().get(i);
            assertFalse(x.failed(), x.error());
            assertEquals(x.trial(), y.trial());
            assertEquals(x.metric(), y.metric(), "evaluation " + i);
            assertEquals(x.result().extras(), y.result().extras(), "evaluation " + i);
        }
        for (int i = 1; i < 4; i++) assertTrue(a.ranked().get(i - 1).metric() <= a.ranked().get(i).metric() || a.ranked().get(i - 1).round() > a.ranked().get(i).round());
        // the two survivors resumed after their first epoch instead of starting over
        assertEquals(2, log.toString().lines().filter(l -> l.startsWith("resumed from") && l.endsWith("after epoch 1")).count(), log.toString());
        assertTrue(Files.exists(resuming.checkpointDir(b.best().trial()).resolve("last.safetensors")));
        // running the same search again (stale, longer checkpoints on disk) still gives the same results
        SearchResults c = HyperparameterSearch.builder(space, TrainerObjective.builder(TrainerObjective.mlp(64, 10), new CrossEntropyLoss(), TRAIN, VAL)
                .metric("val_loss").checkpointRoot(dir).build()).strategy(sh).seed(9).build().run();
        for (int i = 0; i < 6; i++) assertEquals(a.evaluations().get(i).metric(), c.evaluations().get(i).metric(), "rerun evaluation " + i);
    }

    @Test void defaultOptimizerAndMlpFollowTheTrial() {
        List<Tensor> params = new Linear(2, 2, new Generator(0)).parameters();
        Trial sgd = new Trial(0, 1, Map.of("optimizer", "sgd", "lr", 0.1, "momentum", 0.9));
        assertInstanceOf(SGD.class, TrainerObjective.defaultOptimizer(sgd, params));
        assertEquals(0.1, TrainerObjective.defaultOptimizer(sgd, params).lr());
        assertInstanceOf(AdamW.class, TrainerObjective.defaultOptimizer(new Trial(0, 1, Map.of("optimizer", "adamw")), params));
        assertEquals(1e-3, TrainerObjective.defaultOptimizer(new Trial(0, 1, Map.of()), params).lr());
        assertThrows(EngineException.class, () -> TrainerObjective.defaultOptimizer(new Trial(0, 1, Map.of("optimizer", "lbfgs")), params));

        Sequential m = (Sequential) TrainerObjective.mlp(64, 10).create(new Trial(0, 5, Map.of("hidden", new int[] {32, 16}, "dropout", 0.2)));
        assertEquals(7, m.size());   // Linear ReLU Dropout Linear ReLU Dropout Linear
        assertInstanceOf(Dropout.class, m.get(2));
        assertInstanceOf(ReLU.class, m.get(4));
        assertEquals(64L * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10, m.parameterCount());
        // the same trial seed gives the same initial weights
        Sequential again = (Sequential) TrainerObjective.mlp(64, 10).create(new Trial(3, 5, Map.of("hidden", 32)));
        Sequential same = (Sequential) TrainerObjective.mlp(64, 10).create(new Trial(4, 5, Map.of("hidden", 32)));
        assertArrayEquals(again.stateDict().get("0.weight").toFloatArray(), same.stateDict().get("0.weight").toFloatArray());
    }

    @Test void bestEpochAndBatchSizeFromTheTrial() {
        TrainerObjective best = TrainerObjective.builder(TrainerObjective.mlp(64, 10), new CrossEntropyLoss(), TRAIN, VAL)
                .bestEpoch(true).build();
        Trial t = new Trial(0, 3, Map.of("hidden", 16, "lr", 0.003, "batch", 64));
        TrialResult r = best.evaluate(t, 3);
        TrialResult last = TrainerObjective.builder(TrainerObjective.mlp(64, 10), new CrossEntropyLoss(), TRAIN, VAL).build().evaluate(t, 3);
        assertEquals(3, r.epochs());
        assertTrue(r.metric() >= last.metric(), r.metric() + " < " + last.metric());
        assertEquals(last.extras(), r.extras());
        assertTrue(r.extras().containsKey("val_loss") && r.extras().containsKey("train_loss"), r.extras().toString());
        assertThrows(EngineException.class,
                () -> TrainerObjective.builder(TrainerObjective.mlp(64, 10), new CrossEntropyLoss(), TRAIN, null).metric("val_accuracy").build());
    }

    @Test void crossValidationAveragesTheFolds() {
        Dataset data = TRAIN.subset(java.util.stream.IntStream.range(0, 240).toArray());
        TrainerObjective cv = TrainerObjective.builder(TrainerObjective.mlp(64, 10), new CrossEntropyLoss(), data, null)
                .crossValidation(3, 7, true).build();
        assertEquals("val_accuracy", cv.metricName());
        Trial t = new Trial(1, 11, Map.of("hidden", 16, "lr", 0.01));
        TrialResult r = cv.evaluate(t, 1);
        double mean = 0;
        for (dev.engine.data.KFold.Fold f : dev.engine.data.KFold.split(data, 3, 7, true)) {
            mean += TrainerObjective.builder(TrainerObjective.mlp(64, 10), new CrossEntropyLoss(), f.train(), f.validation()).build()
                    .evaluate(t, 1).metric() / 3;
        }
        assertEquals(mean, r.metric());
        assertTrue(r.extras().containsKey("val_accuracy_std") && r.extras().containsKey("val_loss"), r.extras().toString());
        assertThrows(EngineException.class,
                () -> TrainerObjective.builder(TrainerObjective.mlp(64, 10), new CrossEntropyLoss(), data, VAL).crossValidation(3, 7, true).build());
    }
}
