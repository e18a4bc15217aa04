package dev.engine.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.engine.graph.Graph;
import dev.engine.inference.OnnxExporter;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * ONNX Runtime as the benchmarks' peer: a session (all graph optimisations, the engine's thread count) on
 * the ONNX file our exporter writes from a frozen graph, fed one input tensor made once.
 *
 * <pre>{@code
 * try (OrtPeer ort = new OrtPeer(frozen.graph(), be.threads(), x, shape)) { ort.run(out); }
 * }</pre>
 */
final class OrtPeer implements AutoCloseable {
    private final OrtSession session;
    private final OnnxTensor input;
    private final Map<String, OnnxTensor> feeds;

    OrtPeer(Graph graph, int threads, float[] x, long[] shape) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.setIntraOpNumThreads(threads);
            session = env.createSession(OnnxExporter.toBytes(graph), so);
        }
        input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
        feeds = Map.of(session.getInputNames().iterator().next(), input);
    }

    /** Runs the session and copies its first output (as much as fits) into {@code out}. */
    float[] run(float[] out) throws OrtException {
        try (OrtSession.Result res = session.run(feeds)) {
            FloatBuffer fb = ((OnnxTensor) res.get(0)).getFloatBuffer();
            fb.get(out, 0, Math.min(out.length, fb.remaining()));
            return out;
        }
    }

    @Override public void close() throws OrtException {
        input.close();
        session.close();
    }
}
