package dev.engine.inference;

import dev.engine.api.EngineException;
import dev.engine.graph.Const;
import dev.engine.graph.Node;
import java.util.ArrayList;
import java.util.List;

/**
 * The ONNX QDQ form of one int8 node of a frozen graph ({@link Int8Quantizer}): the input through
 * QuantizeLinear (uint8, the node's calibrated "inputScale" and "inputZeroPoint") and DequantizeLinear, the
 * int8 "weightQ" as an int8 initializer through DequantizeLinear with the per-output-channel "weightScale"
 * ({@code axis}), then the F32 Gemm (or MatMul) / Conv, which ONNX Runtime's QDQ fusion turns into QGemm /
 * QLinearConv. A Linear's bias follows as an F32 Add; a Conv's is int32 in steps of input scale x weight
 * scale (as ONNX Runtime's quantiser writes it: QLinearConv fusion needs it inside the Conv). The scales
 * are the ones the frozen model computes with, so ONNX Runtime runs the same arithmetic with its int8 kernels.
 * Dynamic quantisation (a range per call) has no fixed input scale to write and is refused.
 *
 * <pre>{@code
 * String y = new OnnxQdq(exporter).linear(node, x);   // Gemm on dequantised input and weight
 * }</pre>
 */
final class OnnxQdq {
    private final OnnxExporter ex;

    OnnxQdq(OnnxExporter ex) { this.ex = ex; }

    /** The int8 Linear {@code n} on input {@code x}; bias included, residual and activation left to the caller. */
    String linear(Node n, String x) {
        String nm = n.name();
        Const wq = n.constOrNull(Int8Quantizer.WEIGHT_Q), b = n.constOrNull("bias");
        float[] ws = n.constOrNull(Int8Quantizer.WEIGHT_SCALE).data();
        float sx = inputScale(n);
        String xd = quantizeInput(n, x, sx);
        String wd = weight(nm, wq, ws, 1);  // weightQ is [in, out]: channels along axis 1
        // The bias stays F32 in an Add after the Gemm, as in our epilogue: ONNX Runtime 1.23's QGemm with an
        // int32 bias (C) and per-column scales gives wrong columns at some shapes (e.g. 32 x 256 -> 120).
        String y = n.input(0).rank() == 2 ? ex.op("Gemm", nm, new String[]{xd, wd}) : ex.op("MatMul", nm, new String[]{xd, wd});
        return b == null ? y : ex.op("Add", nm, new String[]{y, ex.init(nm + ".bias", b)});
    }

    /** The int8 Conv2d {@code n} on input {@code x} (weightQ KCRS, channels along axis 0); activation left to the caller. */
    String conv(Node n, String x, byte[]... attrs) {
        String nm = n.name();
        Const wq = n.constOrNull(Int8Quantizer.WEIGHT_Q), b = n.constOrNull("bias");
        float[] ws = n.constOrNull(Int8Quantizer.WEIGHT_SCALE).data();
        float sx = inputScale(n);
        List<String> ins = new ArrayList<>(List.of(quantizeInput(n, x, sx), weight(nm, wq, ws, 0)));
        String bd = b == null ? null : int32Bias(nm, b.data(), sx, ws);
        if (bd != null) ins.add(bd);
        String y = ex.op("Conv", nm, ins.toArray(new String[0]), attrs);
        if (b == null || bd != null) return y;
        long[] dims = {1, ws.length, 1, 1};  // float bias broadcast over N, H, W
        return ex.op("Add", nm, new String[]{y, ex.init(nm + ".bias", dims, b.data())});
    }

    private static float inputScale(Node n) {
        double s = n.floatOr(Int8Quantizer.INPUT_SCALE, Double.NaN);
        if (Double.isNaN(s))
            throw new EngineException("ONNX export: node '" + n.name() + "' is int8 with dynamic (per-call) input quantisation, "
                    + "which QDQ cannot write as a fixed scale; freeze with Quantization.int8Static(rows) or export the F32 model");
        return (float) s;
    }

    /** QuantizeLinear -> DequantizeLinear with the node's calibrated scale and zero point (shared initializers). */
    private String quantizeInput(Node n, String x, float sx) {
        String nm = n.name(), s = ex.fresh(nm + ".input_scale"), z = ex.fresh(nm + ".input_zero_point");
        ex.addInit(OnnxWriter.floatTensor(s, new long[0], new float[]{sx}));
        ex.addInit(OnnxWriter.byteTensor(z, OnnxWriter.UINT8, new long[0], new int[]{(int) n.floatOr(Int8Quantizer.INPUT_ZERO_POINT, 0)}));
        String q = ex.op("QuantizeLinear", nm, new String[]{x, s, z});
        return ex.op("DequantizeLinear", nm, new String[]{q, s, z});
    }

    /** The int8 weight, its per-channel scales and zero zero points, dequantised along {@code axis}. */
    private String weight(String nm, Const wq, float[] scales, int axis) {
        float[] v = wq.data();
        int[] q = new int[v.length];
        for (int i = 0; i < v.length; i++) q[i] = (int) v[i];
        String w = ex.fresh(nm + ".weight_q"), s = ex.fresh(nm + ".weight_scale"), z = ex.fresh(nm + ".weight_zero_point");
        ex.addInit(OnnxWriter.byteTensor(w, OnnxWriter.INT8, wq.shape(), q));
        ex.addInit(OnnxWriter.floatTensor(s, new long[]{scales.length}, scales));
        ex.addInit(OnnxWriter.byteTensor(z, OnnxWriter.INT8, new long[]{scales.length}, new int[scales.length]));
        return ex.op("DequantizeLinear", nm, new String[]{w, s, z}, OnnxWriter.attrInt("axis", axis));
    }

    /**
     * The bias as int32 multiples of sx * ws[j], dequantised; null when some value would not fit int32 (tiny
     * scales), and the caller adds the F32 bias instead.
     */
    private String int32Bias(String nm, float[] b, float sx, float[] ws) {
        int[] q = new int[b.length];
        float[] s = new float[b.length];
        for (int j = 0; j < b.length; j++) {
            s[j] = sx * ws[j];
            double v = Math.rint(b[j] / (double) s[j]);
            if (!(Math.abs(v) < Integer.MAX_VALUE)) return null;
            q[j] = (int) v;
        }
        String bq = ex.fresh(nm + ".bias_q"), bs = ex.fresh(nm + ".bias_scale"), bz = ex.fresh(nm + ".bias_zero_point");
        ex.addInit(OnnxWriter.intTensor(bq, new long[]{b.length}, q));
        ex.addInit(OnnxWriter.floatTensor(bs, new long[]{b.length}, s));
        ex.addInit(OnnxWriter.intTensor(bz, new long[]{b.length}, new int[b.length]));
        return ex.op("DequantizeLinear", nm, new String[]{bq, bs, bz}, OnnxWriter.attrInt("axis", 0));
    }
}
