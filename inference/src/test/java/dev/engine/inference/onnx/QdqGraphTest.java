package dev.engine.inference.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.engine.graph.Node;
import dev.engine.graph.Traceable;
import dev.engine.graph.Value;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.Freezer;
import dev.engine.inference.FrozenModel;
import dev.engine.inference.OnnxExporter;
import dev.engine.inference.Quantization;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The QDQ export's graph (read back with our own ONNX reader) holds exactly the frozen int8 model's
 * quantisation: per layer a QuantizeLinear / DequantizeLinear pair with its calibrated input scale and zero
 * point, and the int8 weight dequantised per output channel with its weight scales.
 */
class QdqGraphTest {
    private static float[] floats(OnnxProto.Tensor t) {
        ByteBuffer b = ByteBuffer.wrap(t.raw()).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[t.raw().length / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    @Test void scalesAreTheFrozenModelsOwn() {
        Random r = new Random(9);
        int in = 12, hidden = 9, out = 4;
        float[] w1 = new float[hidden * in], w2 = new float[out * hidden], b1 = new float[hidden];
        for (int i = 0; i < w1.length; i++) w1[i] = (float) r.nextGaussian();
        for (int i = 0; i < w2.length; i++) w2[i] = (float) r.nextGaussian();
        for (int i = 0; i < b1.length; i++) b1[i] = (float) r.nextGaussian();
        Traceable mlp = (t, x) -> {
            Value h = t.relu(t.named("fc1").linear(x, w1, hidden, in, b1));
            return t.named("fc2").linear(h, w2, out, hidden, null);
        };
        float[][] cal = new float[16][in];
        for (float[] row : cal) for (int j = 0; j < in; j++) row[j] = (float) (r.nextGaussian() + 0.5);
        try (FrozenModel m = Freezer.freeze(mlp, new long[]{1, in}, FreezeOptions.defaults().quantize(Quantization.int8Static(cal)))) {
            List<Node> int8 = m.graph().nodes().stream().filter(n -> n.constOrNull("weightQ") != null).toList();
            assertEquals(2, int8.size());
            OnnxProto.Graph g = OnnxProto.parse(OnnxExporter.toBytes(m.graph())).graph();
            Map<String, OnnxProto.Tensor> inits = new HashMap<>();
            for (OnnxProto.Tensor t : g.initializers()) inits.put(t.name(), t);
            List<OnnxProto.Node> q = g.nodes().stream().filter(n -> n.opType().equals("QuantizeLinear")).toList();
            List<OnnxProto.Node> wdq = g.nodes().stream().filter(n -> n.opType().equals("DequantizeLinear")
                    && inits.containsKey(n.inputs().get(0)) && inits.get(n.inputs().get(0)).dataType() == OnnxProto.INT8).toList();
            assertEquals(2, q.size());
            assertEquals(2, wdq.size());
            for (int i = 0; i < 2; i++) {
                Node n = int8.get(i);
                OnnxProto.Tensor scale = inits.get(q.get(i).inputs().get(1)), zero = inits.get(q.get(i).inputs().get(2));
                assertEquals((float) n.floatOr("inputScale", 0), floats(scale)[0], 0f, n.name() + " input scale");
                assertEquals(OnnxProto.UINT8, zero.dataType());
                assertEquals((int) n.floatOr("inputZeroPoint", -1), zero.raw()[0] & 0xff, n.name() + " input zero point");
                OnnxProto.Node dq = wdq.get(i);
                assertEquals(1, dq.attributes().get("axis").i(), "[in, out] weight: channels on axis 1");
                assertArrayEquals(n.constOrNull("weightScale").data(), floats(inits.get(dq.inputs().get(1))), 0f, n.name() + " weight scales");
                OnnxProto.Tensor w = inits.get(dq.inputs().get(0));
                float[] expect = n.constOrNull("weightQ").data();
                for (int k = 0; k < expect.length; k++) assertEquals((int) expect[k], w.raw()[k], n.name() + " weight " + k);
            }
        }
    }
}
