package dev.engine.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.engine.autograd.Generator;
import dev.engine.autograd.Tensor;
import dev.engine.data.Dataset;
import dev.engine.data.Digits;
import dev.engine.data.Split;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.Freezer;
import dev.engine.inference.FrozenModel;
import dev.engine.inference.OnnxExporter;
import dev.engine.inference.Quantization;
import dev.engine.nn.Linear;
import dev.engine.nn.ReLU;
import dev.engine.nn.Sequential;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.Adam;
import java.nio.FloatBuffer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 19's accuracy bar: a digits MLP (64-128-64-10, trained here as the README's reference run) frozen
 * with int8 static quantisation (calibrated on 256 training rows, min/max and percentile observers) and
 * int8 dynamic quantisation loses at most 0.5 accuracy points on the 360 held-out rows against the same
 * model frozen in F32; so does ONNX Runtime running the static model's QDQ export with its int8 kernels.
 */
class QuantizedAccuracyTest {
    private static Dataset scaled(Dataset d) {
        float[] x = d.features();
        for (int i = 0; i < x.length; i++) x[i] /= 16f;
        return Dataset.classification(x, d.featureShape(), d.labels());
    }

    private static double accuracy(FrozenModel m, Dataset test) {
        return accuracy(m.run(test.features(), test.size()), test.labels());
    }

    private static double accuracy(float[] out, int[] labels) {
        int n = labels.length, right = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < 10; j++) if (out[i * 10 + j] > out[i * 10 + best]) best = j;
            if (best == labels[i]) right++;
        }
        return right / (double) n;
    }

    @Test void int8LosesAtMostHalfAPointOnDigits() throws Exception {
        Split s = Digits.trainTestSplit();
        Dataset train = scaled(s.train()), test = scaled(s.test());
        Generator g = new Generator(0);
        Sequential model = new Sequential(new Linear(64, 128, g), new ReLU(), new Linear(128, 64, g), new ReLU(), new Linear(64, 10, g));
        Trainer.builder(model, new CrossEntropyLoss(), new Adam(model.parameters(), 1e-3)).epochs(20).batchSize(32).seed(0).build().fit(train);
        float[] tx = train.features();
        float[][] calibration = new float[256][];
        for (int i = 0; i < calibration.length; i++) calibration[i] = java.util.Arrays.copyOfRange(tx, i * 64, (i + 1) * 64);
        Tensor example = Tensor.zeros(1, 64);
        try (FrozenModel f32 = Freezer.freeze(model, example);
             FrozenModel st = Freezer.freeze(model, example, FreezeOptions.defaults().quantize(Quantization.int8Static(calibration)));
             FrozenModel pc = Freezer.freeze(model, example, FreezeOptions.defaults()
                     .quantize(Quantization.int8Static(calibration).observer(Quantization.Observer.percentile(99.99))));
             FrozenModel dy = Freezer.freeze(model, example, FreezeOptions.defaults().quantize(Quantization.int8Dynamic()))) {
            double ref = accuracy(f32, test);
            assertTrue(ref >= 0.85, "the F32 model itself should be trained: accuracy " + ref);
            double a = accuracy(st, test), b = accuracy(pc, test), c = accuracy(dy, test);
            String msg = String.format("F32 %.4f, int8 static min/max %.4f, percentile %.4f, dynamic %.4f", ref, a, b, c);
            System.out.println("digits accuracy: " + msg);
            assertTrue(a >= ref - 0.005, msg);
            assertTrue(b >= ref - 0.005, msg);
            assertTrue(c >= ref - 0.005, msg);
            // the static model's QDQ export, scored by ONNX Runtime's int8 kernels
            double o = accuracy(ortOnQdqExport(st, test.features(), test.size()), test.labels());
            System.out.println("digits accuracy, ONNX Runtime on the int8 static QDQ export: " + o);
            assertTrue(o >= ref - 0.005, "ONNX Runtime int8 (QDQ) " + o + ", " + msg);
        }
    }

    /** ONNX Runtime (all optimisations: QDQ fused into QGemm) on {@code m}'s QDQ export. */
    private static float[] ortOnQdqExport(FrozenModel m, float[] x, int n) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
             OrtSession s = env.createSession(OnnxExporter.toBytes(m.graph()), so);
             OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), m.inputShape(n));
             OrtSession.Result r = s.run(Map.of("input", t))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        }
    }
}
