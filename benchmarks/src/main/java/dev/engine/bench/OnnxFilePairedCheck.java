package dev.engine.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.engine.api.Backends;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.FrozenModel;
import dev.engine.inference.onnx.Onnx;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Any ONNX file, imported and frozen by this engine, beside ONNX Runtime running the same file (all graph
 * optimisations, the engine's thread count), on one random input: the largest output difference, then both
 * timed the load-resistant way ({@link BlockInterleave}) with the ratio of medians. This is how a user checks a
 * model of their own before switching.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.engine.bench.OnnxFilePairedCheck resnet18.onnx 1,3,224,224 [rounds] [reps]
 * </pre>
 */
public final class OnnxFilePairedCheck {
    private OnnxFilePairedCheck() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) throw new IllegalArgumentException("usage: OnnxFilePairedCheck model.onnx N,C,H,W [rounds] [reps]");
        Path file = Path.of(args[0]);
        long[] shape = Arrays.stream(args[1].split(",")).mapToLong(Long::parseLong).toArray();
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 10, reps = args.length > 3 ? Integer.parseInt(args[3]) : 50;
        int batch = (int) shape[0], n = (int) Arrays.stream(shape).reduce(1, Math::multiplyExact);
        float[] x = new float[n];
        Random rnd = new Random(7);
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (FrozenModel m = Onnx.load(file, shape, FreezeOptions.defaults());
             OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.setIntraOpNumThreads(Backends.cpu().threads());
            try (OrtSession session = env.createSession(file.toString(), so);
                 OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape)) {
                Map<String, OnnxTensor> feeds = Map.of(session.getInputNames().iterator().next(), input);
                float[] ours = m.run(x, batch), theirs = new float[ours.length];
                try (OrtSession.Result r = session.run(feeds)) { ((OnnxTensor) r.get(0)).getFloatBuffer().get(theirs); }
                double diff = 0, scale = 0;
                for (int i = 0; i < ours.length; i++) { diff = Math.max(diff, Math.abs(ours[i] - theirs[i])); scale = Math.max(scale, Math.abs(theirs[i])); }
                float[] out = new float[ours.length];
                Runnable engine = () -> m.run(x, batch, out);
                Runnable ort = () -> {
                    try (OrtSession.Result r = session.run(feeds)) { ((OnnxTensor) r.get(0)).getFloatBuffer().get(out); }
                    catch (Exception e) { throw new IllegalStateException(e); }
                };
                double[][] t = BlockInterleave.run(new Runnable[]{engine, ort}, rounds, reps);
                double a = PairedCheck.median(t[0]), b = PairedCheck.median(t[1]);
                System.out.printf(Locale.ROOT, "%s %s: max |engine - ort| %.3g (outputs up to %.3g); median us per call: engine %.1f, onnxruntime %.1f,"
                        + " engine / ort %.3f (%d rounds x %d calls, %d threads)%n", file.getFileName(), Arrays.toString(shape), diff, scale, a, b, a / b,
                        rounds, reps, Backends.cpu().threads());
            }
        }
    }
}
