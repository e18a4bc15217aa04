package dev.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.autograd.Generator;
import dev.engine.autograd.Tensor;
import dev.engine.data.Dataset;
import dev.engine.data.Digits;
import dev.engine.data.Split;
import dev.engine.nn.Linear;
import dev.engine.nn.ReLU;
import dev.engine.nn.Sequential;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.Adam;
import dev.engine.optim.LossScaler;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mixed-precision training of the digits MLP (64-128-10, Adam 1e-3, batch 32, 30 epochs, the README's run):
 * BF16 and F16 (with loss scaling) products reach the F32 run's final training loss within 2 % + 0.001 and
 * its test accuracy within 2 points.
 */
class MixedPrecisionTrainingTest {
    private static Dataset scaled(Dataset d) {
        float[] x = d.features();
        for (int i = 0; i < x.length; i++) x[i] /= 16f;
        return Dataset.classification(x, d.featureShape(), d.labels());
    }

    /** {final train loss, test accuracy} of one run. */
    private static double[] run(DType precision) {
        Split s = Digits.trainTestSplit();
        Dataset train = scaled(s.train()), test = scaled(s.test());
        Generator g = new Generator(0);
        Sequential model = new Sequential(new Linear(64, 128, g), new ReLU(), new Linear(128, 10, g));
        Trainer t = Trainer.builder(model, new CrossEntropyLoss(), new Adam(model.parameters(), 1e-3))
                .epochs(30).batchSize(32).seed(0).mixedPrecision(precision).build();
        History h = t.fit(train);
        return new double[]{h.series("train_loss")[29], t.evaluate(test).accuracy()};
    }

    @Test void bf16AndF16ReachTheF32Loss() {
        double[] f32 = run(DType.F32);
        for (DType p : new DType[]{DType.BF16, DType.F16}) {
            double[] mixed = run(p);
            System.out.printf("digits MLP, 30 epochs: F32 loss %.5f accuracy %.4f; %s loss %.5f accuracy %.4f%n", f32[0], f32[1], p, mixed[0], mixed[1]);
            assertTrue(Math.abs(mixed[0] - f32[0]) <= 0.02 * f32[0] + 0.001, p + " final loss " + mixed[0] + " vs F32 " + f32[0]);
            assertTrue(mixed[1] >= f32[1] - 0.02, p + " test accuracy " + mixed[1] + " vs F32 " + f32[1]);
        }
    }

    /** Trains the digits MLP in F16 with a scaler that grows every 5 steps (so it overflows and backs off). */
    private static LossScaler train(Sequential model, Dataset train, int epochs, Path dir, boolean resume) {
        LossScaler scaler = new LossScaler(1024, 4, 0.5, 5);
        Trainer.Builder b = Trainer.builder(model, new CrossEntropyLoss(), new Adam(model.parameters(), 1e-2)).epochs(epochs).batchSize(32)
                .seed(3).mixedPrecision(DType.F16).lossScaler(scaler);
        if (dir != null) b.checkpointDir(dir).resume(resume);
        b.build().fit(train);
        return scaler;
    }

    @Test void f16ResumesBitIdenticallyWithItsLossScale(@TempDir Path dir) {
        Dataset train = scaled(Digits.trainTestSplit().train()).subset(java.util.stream.IntStream.range(0, 320).toArray());
        Sequential a = new Sequential(new Linear(64, 32, new Generator(5)), new ReLU(), new Linear(32, 10, new Generator(6)));
        LossScaler straight = train(a, train, 4, null, false);
        Sequential b = new Sequential(new Linear(64, 32, new Generator(5)), new ReLU(), new Linear(32, 10, new Generator(6)));
        LossScaler first = train(b, train, 2, dir, false);
        assertTrue(first.scale() != 1024, "the scale moved in the first two epochs: " + first.scale());
        Sequential c = new Sequential(new Linear(64, 32, new Generator(7)), new ReLU(), new Linear(32, 10, new Generator(8)));
        LossScaler resumed = train(c, train, 4, dir, true);
        assertEquals(straight.scale(), resumed.scale(), "the scale continues from the checkpoint");
        Map<String, Tensor> sa = a.stateDict(), sc = c.stateDict();
        for (String k : sa.keySet()) assertArrayEquals(sa.get(k).toFloatArray(), sc.get(k).toFloatArray(), 0f, k);
    }

    @Test void otherPrecisionsAreRefused() {
        Generator g = new Generator(0);
        Sequential model = new Sequential(new Linear(4, 2, g));
        Trainer.Builder b = Trainer.builder(model, new CrossEntropyLoss(), new Adam(model.parameters(), 1e-3));
        assertEquals("trainer: mixed precision is BF16, F16 or F32, not I8",
                assertThrows(EngineException.class, () -> b.mixedPrecision(DType.I8)).getMessage());
    }
}
