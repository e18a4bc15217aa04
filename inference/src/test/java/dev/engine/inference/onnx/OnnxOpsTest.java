package dev.engine.inference.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.ModelFormatException;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.Freezer;
import dev.engine.inference.FrozenModel;
import org.junit.jupiter.api.Test;

/** Single ops and small shape subgraphs, built by hand, against naive Java references at two batch sizes. */
class OnnxOpsTest {
    static final float[] X = {0.5f, -1.25f, 2f, 0f, -0.75f, 3f, 1.5f, -2f}; // two rows of 4

    /** Runs with every pass and with none; both must agree. */
    static float[] run(OnnxBuilder b, float[] x, int batch) {
        try (FrozenModel all = Freezer.freeze(Onnx.toGraph(b.bytes(), null, null), FreezeOptions.defaults());
             FrozenModel none = Freezer.freeze(Onnx.toGraph(b.bytes(), null, null), FreezeOptions.none())) {
            float[] y = all.run(x, batch);
            assertArrayEquals(none.run(x, batch), y, 1e-6f, "passes must not change the answer");
            return y;
        }
    }

    static OnnxBuilder unary(String op, byte[]... attrs) {
        return new OnnxBuilder().input("x", -1, 4).output("y", -1, 4).node(op, "op", new String[]{"x"}, new String[]{"y"}, attrs);
    }

    static float[] naive(java.util.function.DoubleUnaryOperator f) {
        float[] r = new float[X.length];
        for (int i = 0; i < r.length; i++) r[i] = (float) f.applyAsDouble(X[i]);
        return r;
    }

    static double erf(double x) { // Abramowitz-Stegun 7.1.26 is too coarse; integrate instead
        double s = 0, h = x / 20000;
        for (int i = 0; i < 20000; i++) { double t = (i + 0.5) * h; s += Math.exp(-t * t); }
        return 2 / Math.sqrt(Math.PI) * s * h;
    }

    @Test void activations() {
        assertArrayEquals(naive(v -> Math.max(0, v)), run(unary("Relu"), X, 2), 1e-6f);
        assertArrayEquals(naive(v -> 1 / (1 + Math.exp(-v))), run(unary("Sigmoid"), X, 2), 1e-6f);
        assertArrayEquals(naive(Math::tanh), run(unary("Tanh"), X, 2), 1e-6f);
        assertArrayEquals(naive(v -> v >= 0 ? v : 0.2 * v), run(unary("LeakyRelu", OnnxBuilder.attrFloat("alpha", 0.2f)), X, 2), 1e-6f);
        assertArrayEquals(naive(v -> 0.5 * v * (1 + erf(v / Math.sqrt(2)))), run(unary("Gelu").opset(20), X, 2), 1e-5f);
        assertArrayEquals(naive(v -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))),
                run(unary("Gelu", OnnxBuilder.attrString("approximate", "tanh")).opset(20), X, 2), 1e-5f);
        assertArrayEquals(naive(Math::abs), run(unary("Abs"), X, 2), 0f);
        assertArrayEquals(naive(v -> -v), run(unary("Neg"), X, 2), 0f);
    }

    @Test void scalarAndBroadcastBinaryOps() {
        OnnxBuilder b = new OnnxBuilder().input("x", -1, 4).output("y", -1, 4)
                .init("s", new long[]{}, new float[]{3})
                .init("row", new long[]{4}, new float[]{1, 2, 3, 4})
                .node("Sub", "rsub", new String[]{"s", "x"}, new String[]{"a"})        // 3 - x
                .node("Div", "div", new String[]{"a", "row"}, new String[]{"c"})      // / [1,2,3,4]
                .node("Max", "max", new String[]{"c", "s"}, new String[]{"d"})        // max(., 3)... clamp below
                .node("Mul", "mul", new String[]{"x", "d"}, new String[]{"e"})
                .node("Pow", "pow", new String[]{"e", "s"}, new String[]{"y"});      // ^3
        float[] want = new float[8];
        float[] row = {1, 2, 3, 4};
        for (int i = 0; i < 8; i++) {
            double d = Math.max((3 - X[i]) / row[i % 4], 3);
            want[i] = (float) Math.pow(X[i] * d, 3);
        }
        assertArrayEquals(want, run(b, X, 2), 1e-4f);
    }

    @Test void clipWhereAndComparisons() {
        OnnxBuilder b = new OnnxBuilder().input("x", -1, 4).output("y", -1, 4)
                .init("lo", new long[]{}, new float[]{-1}).init("hi", new long[]{}, new float[]{1}).init("z", new long[]{}, new float[]{0})
                .node("Clip", "clip", new String[]{"x", "lo", "hi"}, new String[]{"c"})
                .node("Greater", "gt", new String[]{"x", "z"}, new String[]{"m"})
                .node("Neg", "neg", new String[]{"x"}, new String[]{"n"})
                .node("Where", "where", new String[]{"m", "c", "n"}, new String[]{"y"});
        float[] want = naive(v -> v > 0 ? Math.min(1, Math.max(-1, v)) : -v);
        assertArrayEquals(want, run(b, X, 2), 0f);
    }

    @Test void reduceMeanAndSumOverTheLastAxisAsOpset13And18() {
        OnnxBuilder m13 = new OnnxBuilder().input("x", -1, 4).output("y", -1, 1)
                .node("ReduceMean", "mean", new String[]{"x"}, new String[]{"y"}, OnnxBuilder.attrInts("axes", -1));
        OnnxBuilder m18 = new OnnxBuilder().input("x", -1, 4).output("y", -1, 1).init(OnnxBuilder.longTensor("ax", new long[]{1}, new long[]{1}))
                .node("ReduceSum", "sum", new String[]{"x", "ax"}, new String[]{"y"}).opset(18);
        float[] mean = {(0.5f - 1.25f + 2f + 0f) / 4, (-0.75f + 3f + 1.5f - 2f) / 4};
        assertArrayEquals(mean, run(m13, X, 2), 1e-6f);
        assertArrayEquals(new float[]{mean[0] * 4, mean[1] * 4}, run(m18, X, 2), 1e-6f);
    }

    @Test void batchedMatMulOfTwoGraphValuesAndSoftmaxOverAMiddleAxis() {
        // x [n, 2, 2] -> x @ x^T per sample, then softmax over axis 1
        OnnxBuilder b = new OnnxBuilder().input("x", -1, 2, 2).output("y", -1, 2, 2)
                .node("Transpose", "t", new String[]{"x"}, new String[]{"xt"}, OnnxBuilder.attrInts("perm", 0, 2, 1))
                .node("MatMul", "mm", new String[]{"x", "xt"}, new String[]{"p"})
                .node("Softmax", "sm", new String[]{"p"}, new String[]{"y"}, OnnxBuilder.attrInt("axis", 1));
        float[] want = new float[8];
        for (int n = 0; n < 2; n++) {
            double[][] p = new double[2][2];
            for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++)
                for (int k = 0; k < 2; k++) p[i][j] += X[n * 4 + i * 2 + k] * X[n * 4 + j * 2 + k];
            for (int j = 0; j < 2; j++) {
                double z = Math.exp(p[0][j]) + Math.exp(p[1][j]);
                for (int i = 0; i < 2; i++) want[n * 4 + i * 2 + j] = (float) (Math.exp(p[i][j]) / z);
            }
        }
        assertArrayEquals(want, run(b, X, 2), 1e-6f);
        float[] first = run(b, java.util.Arrays.copyOf(X, 4), 1);
        assertArrayEquals(java.util.Arrays.copyOf(want, 4), first, 1e-6f);
    }

    @Test void shapeSubgraphWithRangeConstantOfShapeAndExpandFoldsAway() {
        // y = x + ConstantOfShape(Shape(x)[1:]) * Range(0, 4, 1): adds [0, 1, 2, 3] to every row
        OnnxBuilder b = new OnnxBuilder().input("x", -1, 4).output("y", -1, 4)
                .init(OnnxBuilder.longTensor("one", new long[]{1}, new long[]{1})).init(OnnxBuilder.longTensor("end", new long[]{1}, new long[]{2}))
                .init(OnnxBuilder.longTensor("s0", new long[]{}, new long[]{0})).init(OnnxBuilder.longTensor("s4", new long[]{}, new long[]{4}))
                .init(OnnxBuilder.longTensor("s1", new long[]{}, new long[]{1}))
                .node("Shape", "shape", new String[]{"x"}, new String[]{"sh"})
                .node("Slice", "tail", new String[]{"sh", "one", "end"}, new String[]{"d"})
                .node("ConstantOfShape", "ones", new String[]{"d"}, new String[]{"o"}, OnnxBuilder.attrTensor("value", OnnxBuilder.floatTensor("", new long[]{1}, new float[]{1})))
                .node("Range", "range", new String[]{"s0", "s4", "s1"}, new String[]{"r"})
                .node("Cast", "cast", new String[]{"r"}, new String[]{"rf"}, OnnxBuilder.attrInt("to", 1))
                .node("Mul", "mul", new String[]{"o", "rf"}, new String[]{"k"})
                .node("Expand", "expand", new String[]{"x", "sh"}, new String[]{"xe"})
                .node("Add", "add", new String[]{"xe", "k"}, new String[]{"y"});
        float[] want = new float[8];
        for (int i = 0; i < 8; i++) want[i] = X[i] + i % 4;
        assertArrayEquals(want, run(b, X, 2), 0f);
        try (FrozenModel m = Onnx.load(java.nio.file.Path.of("x"), null, FreezeOptions.defaults())) {
            throw new AssertionError("no such file must fail");
        } catch (ModelFormatException e) {
            assertTrue(e.getMessage().contains("no such file"), e.getMessage());
        }
    }

    @Test void opset18SplitByNumOutputsAndSqueeze() {
        OnnxBuilder b = new OnnxBuilder().input("x", -1, 4).output("y", -1, 2)
                .node("Split", "split", new String[]{"x"}, new String[]{"a", "c"}, OnnxBuilder.attrInt("axis", 1), OnnxBuilder.attrInt("num_outputs", 2))
                .node("Sub", "sub", new String[]{"c", "a"}, new String[]{"y"}).opset(18);
        assertArrayEquals(new float[]{2f - 0.5f, 0f + 1.25f, 1.5f + 0.75f, -2f - 3f}, run(b, X, 2), 0f);
    }

    @Test void reshapeThatWouldMoveTheBatchIsRefused() {
        OnnxBuilder b = new OnnxBuilder().input("x", -1, 4).output("y", 4, -1)
                .init(OnnxBuilder.longTensor("s", new long[]{2}, new long[]{4, -1}))
                .node("Reshape", "bad", new String[]{"x", "s"}, new String[]{"y"});
        var e = assertThrows(ModelFormatException.class, () -> Onnx.toGraph(b.bytes(), null, new long[]{2, 4}));
        assertTrue(e.getMessage().contains("Reshape 'bad'") && e.getMessage().contains("batch"), e.getMessage());
        assertEquals(1, 1);
    }
}
