package dev.engine.train;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.engine.autograd.Generator;
import dev.engine.autograd.Tensor;
import dev.engine.data.Dataset;
import dev.engine.data.Digits;
import dev.engine.data.Idx;
import dev.engine.data.Split;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.Freezer;
import dev.engine.inference.FrozenModel;
import dev.engine.inference.Quantization;
import dev.engine.nn.Conv2d;
import dev.engine.nn.Flatten;
import dev.engine.nn.Linear;
import dev.engine.nn.MaxPool2d;
import dev.engine.nn.ReLU;
import dev.engine.nn.Reshape;
import dev.engine.nn.Sequential;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.Adam;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Issue 19's accuracy bars: models frozen with {@link Quantization#bf16()} lose at most 0.2 accuracy points,
 * with {@link Quantization#int8Static} (calibrated on 256 training rows; LeNet's convolutions int8 too) at
 * most 0.5, on held-out rows against the same model frozen in F32: the digits MLP (64-128-64-10, as in
 * {@link QuantizedAccuracyTest}), and, where the Fashion-MNIST package is installed
 * ({@code /usr/share/datasets/fashion-mnist}; skipped otherwise), a 784-256-10 MLP and LeNet trained briefly
 * on part of its training set and scored on all 10,000 test images.
 */
class LowPrecisionAccuracyTest {
    private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    private static Dataset scaled(Dataset d, float by) {
        float[] x = d.features();
        for (int i = 0; i < x.length; i++) x[i] /= by;
        return Dataset.classification(x, d.featureShape(), d.labels());
    }

    private static double accuracy(FrozenModel m, Dataset test) {
        float[] x = test.features();
        int n = test.size();
        float[] out = m.run(x, n);
        int[] labels = test.labels();
        int right = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < 10; j++) if (out[i * 10 + j] > out[i * 10 + best]) best = j;
            if (best == labels[i]) right++;
        }
        return right / (double) n;
    }

    /** Trains, freezes in F32, BF16 and int8 static, and checks their loss of accuracy; returns the message. */
    private static String check(String what, Sequential model, Dataset train, Dataset test, int epochs, Tensor example, double minF32) {
        Trainer.builder(model, new CrossEntropyLoss(), new Adam(model.parameters(), 1e-3)).epochs(epochs).batchSize(32).seed(0).build().fit(train);
        float[] tx = train.features();
        int width = tx.length / train.size();
        float[][] calibration = new float[Math.min(256, train.size())][];
        for (int i = 0; i < calibration.length; i++) calibration[i] = java.util.Arrays.copyOfRange(tx, i * width, (i + 1) * width);
        try (FrozenModel f32 = Freezer.freeze(model, example);
             FrozenModel bf = Freezer.freeze(model, example, FreezeOptions.defaults().quantize(Quantization.bf16()));
             FrozenModel q = Freezer.freeze(model, example, FreezeOptions.defaults().quantize(Quantization.int8Static(calibration)))) {
            double ref = accuracy(f32, test), b = accuracy(bf, test), i8 = accuracy(q, test);
            String msg = String.format("%s on %d test rows: F32 %.4f, bf16 %.4f, int8 static %.4f", what, test.size(), ref, b, i8);
            System.out.println("low-precision accuracy: " + msg);
            assertTrue(ref >= minF32, "the F32 model itself should be trained: " + msg);
            assertTrue(b >= ref - 0.002, msg);
            assertTrue(i8 >= ref - 0.005, msg);
            return msg;
        }
    }

    @Test void digitsMlpLosesAtMostTheBar() {
        Split s = Digits.trainTestSplit();
        Generator g = new Generator(0);
        Sequential model = new Sequential(new Linear(64, 128, g), new ReLU(), new Linear(128, 64, g), new ReLU(), new Linear(64, 10, g));
        check("digits MLP", model, scaled(s.train(), 16f), scaled(s.test(), 16f), 20, Tensor.zeros(1, 64), 0.85);
    }

    private static Split fashion() {
        assumeTrue(Files.isDirectory(FASHION), "Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)");
        Split s = Idx.loadDirectory(FASHION);
        return new Split(scaled(s.train(), 255f), s.validation(), scaled(s.test(), 255f));
    }

    private static Dataset head(Dataset d, int n) {
        int[] idx = new int[Math.min(n, d.size())];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        return d.subset(idx);
    }

    @Test void fashionMlpLosesAtMostTheBar() {
        Split s = fashion();
        Generator g = new Generator(1);
        Sequential model = new Sequential(new Flatten(), new Linear(784, 256, g), new ReLU(), new Linear(256, 10, g));
        check("Fashion-MNIST MLP", model, head(s.train(), 12_000), s.test(), 2, Tensor.zeros(1, 1, 28, 28), 0.75);
    }

    @Test void fashionLeNetLosesAtMostTheBar() {
        Split s = fashion();
        Generator g = new Generator(2);
        Sequential model = new Sequential(new Reshape(1, 28, 28),
                new Conv2d(1, 6, 5, g), new ReLU(), new MaxPool2d(2),
                new Conv2d(6, 16, 5, g), new ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(256, 120, g), new ReLU(), new Linear(120, 84, g), new ReLU(), new Linear(84, 10, g));
        check("Fashion-MNIST LeNet", model, head(s.train(), 12_000), s.test(), 2, Tensor.zeros(1, 1, 28, 28), 0.65);
    }
}
