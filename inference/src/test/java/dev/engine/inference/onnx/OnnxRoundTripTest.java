package dev.engine.inference.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.inference.ExecutionPlan;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.Freezer;
import dev.engine.inference.FrozenModel;
import dev.engine.graph.Graph;
import dev.engine.inference.OnnxExporter;
import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Our ONNX export read back by our import: the same plan (kinds, shapes, arena) and bit-identical outputs. */
class OnnxRoundTripTest {
    static float[] randn(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    static Graph mlp() {
        Random r = new Random(1);
        Tracer t = new Tracer();
        Value x = t.input(1, 20);
        Value h = t.relu(t.named("fc1").linear(x, randn(r, 32 * 20, 0.3), 32, 20, randn(r, 32, 0.1)));
        Value h2 = t.named("fc2").linear(h, randn(r, 32 * 32, 0.2), 32, 32, randn(r, 32, 0.1));
        h = t.gelu(t.add(h2, h));
        h = t.named("ln").layerNorm(h, randn(r, 32, 1), randn(r, 32, 0.1), 1e-5);
        h = t.tanh(t.mulScalar(t.addScalar(h, 0.5), 1.5));
        return t.build(t.logSoftmax(t.named("fc3").linear(h, randn(r, 10 * 32, 0.2), 10, 32, null)));
    }

    static Graph cnn() {
        Random r = new Random(2);
        Tracer t = new Tracer();
        Value x = t.input(1, 3, 12, 12);
        Value c = t.named("conv1").conv2d(x, randn(r, 8 * 3 * 9, 0.3), new long[]{8, 3, 3, 3}, randn(r, 8, 0.1),
                new int[]{1, 1}, new int[]{1, 1}, new int[]{1, 1}, 1);
        float[] var = randn(r, 8, 0.2);
        for (int i = 0; i < 8; i++) var[i] = Math.abs(var[i]) + 0.5f;
        c = t.relu(t.named("bn1").batchNorm(c, randn(r, 8, 1), randn(r, 8, 0.1), randn(r, 8, 0.1), var, 1e-5));
        Value d = t.named("conv2").conv2d(c, randn(r, 8 * 2 * 9, 0.3), new long[]{8, 2, 3, 3}, null,
                new int[]{1, 1}, new int[]{1, 1}, new int[]{1, 1}, 4);
        c = t.relu(t.add(d, c));
        c = t.maxPool2d(c, 2, 2, 0);
        c = t.avgPool2d(c, 3, 1, 1, false);
        c = t.adaptiveAvgPool2d(c, 1, 1);
        c = t.flatten(c);
        var b = ElementwiseProgram.builder(1);
        c = t.elementwise(b.build(b.op(ElementwiseOp.SIGMOID, b.opImm(ElementwiseOp.MUL_SCALAR, 2, 0))), c);
        return t.build(t.softmax(t.named("head").linear(c, randn(r, 5 * 8, 0.4), 5, 8, randn(r, 5, 0.1))));
    }

    static List<String> shape(ExecutionPlan p) {
        List<String> s = new ArrayList<>();
        for (ExecutionPlan.Step st : p.steps())
            s.add(st.node().kind() + " " + st.node().activation() + " " + java.util.Arrays.toString(p.shape(st.node().output())));
        s.add("arena " + p.arenaBytes());
        return s;
    }

    static void roundTrip(Graph g, int batch) {
        try (FrozenModel a = Freezer.freeze(g, FreezeOptions.defaults())) {
            byte[] onnx = OnnxExporter.toBytes(a.graph());
            try (FrozenModel b = Freezer.freeze(Onnx.toGraph(onnx, null, null), FreezeOptions.defaults())) {
                for (int n : new int[]{1, batch}) {
                    assertEquals(shape(a.plan(n)), shape(b.plan(n)), a.describePlan(n) + "\nvs\n" + b.describePlan(n));
                    float[] x = randn(new Random(n), n * a.inputFeatures(), 1);
                    assertArrayEquals(a.run(x, n), b.run(x, n), 0f, "outputs must be bit-identical at batch " + n);
                }
            }
        }
    }

    static Graph layout() {
        Random r = new Random(3);
        Tracer t = new Tracer();
        Value x = t.input(1, 4, 6);
        Value a = t.named("fc").linear(x, randn(r, 6 * 6, 0.4), 6, 6, randn(r, 6, 0.1));
        Value p = t.permute(a, 0, 2, 1);                        // [n, 6, 4]
        Value c = t.concat(1, p, t.mulScalar(p, 2));            // [n, 12, 4]
        Value s = t.slice(c, 1, 1, 11, 3);                      // [n, 4, 4]
        return t.build(t.flatten(t.softmax(t.concat(2, s, t.slice(c, 1, 0, 4, 1)))));
    }

    static Graph decoder() {
        Random r = new Random(4);
        Tracer t = new Tracer();
        Value x = t.input(1, 4, 5, 5);
        Value u = t.named("up1").convTranspose2d(x, randn(r, 4 * 3 * 9, 0.3), new long[]{4, 3, 3, 3}, randn(r, 6, 0.1),
                new int[]{2, 2}, new int[]{1, 1}, new int[]{1, 1}, new int[]{1, 1}, 2);
        u = t.named("up2").convTranspose2d(t.relu(u), randn(r, 6 * 2 * 6, 0.3), new long[]{6, 2, 2, 3}, null,
                new int[]{1, 2}, new int[]{0, 1}, new int[]{0, 1}, new int[]{2, 1}, 1);
        return t.build(t.flatten(u));
    }

    @Test void transposedConvolutions() { roundTrip(decoder(), 3); }

    @Test void mlpWithResidualGeluLayerNorm() { roundTrip(mlp(), 7); }

    @Test void permuteSliceConcat() { roundTrip(layout(), 3); }

    @Test void cnnWithBatchNormGroupsResidualAndPools() { roundTrip(cnn(), 5); }
}
