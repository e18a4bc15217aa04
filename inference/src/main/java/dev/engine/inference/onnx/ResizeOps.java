package dev.engine.inference.onnx;

import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import java.util.Arrays;
import java.util.List;

/**
 * Resize (and the older Upsample) of an NCHW value's H and W, nearest or linear, for every coordinate
 * transformation mode PyTorch and TensorFlow export (half_pixel, pytorch_half_pixel, align_corners, asymmetric).
 * Sizes are fixed at import time, so each axis is a constant map from output to input positions: an integer
 * nearest upscale repeats every row (a reshape and a concat, exact whatever the values); any other map is a
 * product with a constant interpolation matrix, applied to W and then to H (bilinear is separable).
 *
 * <pre>{@code
 * resize.bind(node);
 * resize.resize(inputs);    // F.interpolate(x, scale_factor=2, mode="bilinear")
 * }</pre>
 */
final class ResizeOps extends OnnxNodeContext {
    ResizeOps(OnnxImporter im) { super(im); }

    void resize(List<Object> ins) {
        Value x = dyn(ins, 0);
        if (x.rank() != 4) throw unsupported("only NCHW input is supported, got " + Arrays.toString(x.shape()));
        boolean upsample = n.opType().equals("Upsample");
        String mode = attrString("mode", "nearest");
        if (!mode.equals("nearest") && !mode.equals("linear") && !mode.equals("bilinear")) throw unsupported("mode '" + mode + "' (nearest and linear are supported)");
        boolean linear = !mode.equals("nearest");
        String coord = upsample ? "asymmetric" : attrString("coordinate_transformation_mode", "half_pixel");
        if (!List.of("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric").contains(coord)) throw unsupported("coordinate_transformation_mode '" + coord + "'");
        String nearest = upsample ? "floor" : attrString("nearest_mode", "round_prefer_floor");
        if (!List.of("round_prefer_floor", "round_prefer_ceil", "floor", "ceil").contains(nearest)) throw unsupported("nearest_mode '" + nearest + "'");
        if (attrInt("antialias", 0) != 0) throw unsupported("antialias=1 is not supported");
        if (attr("axes") != null) throw unsupported("the axes attribute is not supported");
        if (!attrString("keep_aspect_ratio_policy", "stretch").equals("stretch")) throw unsupported("keep_aspect_ratio_policy other than stretch");
        double[] scales = new double[4];
        long[] outs = new long[4];
        Object sc = upsample ? arg(ins, 1) : ins.size() > 2 ? ins.get(2) : null, sz = upsample ? null : ins.size() > 3 ? ins.get(3) : null;
        ConstTensor sizes = sz == null ? null : k(ins, 3), scl = sc == null ? null : k(ins, upsample ? 1 : 2);
        if (sizes != null && sizes.size() > 0) {
            if (sizes.size() != 4) throw unsupported("sizes " + Arrays.toString(sizes.asLongs()) + " must have 4 entries");
            for (int a = 0; a < 4; a++) { outs[a] = sizes.asLongs()[a]; scales[a] = (double) outs[a] / x.dim(a); }
            scales[0] = 1;  // the batch axis is dynamic: its size here is only the example's
        } else if (scl != null && scl.size() > 0) {
            if (scl.size() != 4) throw unsupported("scales must have 4 entries");
            for (int a = 0; a < 4; a++) { scales[a] = (float) scl.get(a); outs[a] = (long) Math.floor(x.dim(a) * scales[a]); }
        } else throw unsupported("neither scales nor sizes is given");
        if (scales[0] != 1) throw unsupported("resizing the batch axis is not supported");
        if (outs[1] != x.dim(1)) throw unsupported("resizing the channel axis is not supported");
        for (int a = 2; a < 4; a++) {
            if (outs[a] < 1 || outs[a] > 1 << 20) throw unsupported("output size " + outs[a] + " on axis " + a);
            if (outs[a] * x.dim(a) > 1 << 26) throw unsupported("resizing axis " + a + " from " + x.dim(a) + " to " + outs[a] + " is too large for its interpolation map");
        }
        Tracer t = im.tracer;
        Value y = x;
        for (int a = 3; a >= 2; a--) {
            long in = x.dim(a), out = outs[a];
            double[] src = new double[(int) out];
            for (int j = 0; j < out; j++) src[j] = source(j, in, out, scales[a], coord);
            y = linear ? matrix(t, y, a, in, out, linearWeights(src, in, out)) : nearest(t, y, a, in, out, src, nearest);
        }
        out(y);
    }

    /** The input coordinate of output position j. */
    private static double source(long j, long in, long out, double scale, String coord) {
        return switch (coord) {
            case "half_pixel" -> (j + 0.5) / scale - 0.5;
            case "pytorch_half_pixel" -> out > 1 ? (j + 0.5) / scale - 0.5 : 0;
            case "align_corners" -> out == 1 ? 0 : j * (double) (in - 1) / (out - 1);
            default -> j / scale;
        };
    }

    private Value nearest(Tracer t, Value y, int axis, long in, long out, double[] src, String mode) {
        long[] idx = new long[(int) out];
        boolean identity = in == out;
        for (int j = 0; j < out; j++) {
            double s = src[j], f = Math.floor(s);
            long i = switch (mode) {
                case "floor" -> (long) f;
                case "ceil" -> (long) Math.ceil(s);
                case "round_prefer_ceil" -> s - f == 0.5 ? (long) f + 1 : Math.round(s);
                default -> s - f == 0.5 ? (long) f : Math.round(s);
            };
            idx[j] = Math.max(0, Math.min(in - 1, i));
            identity &= idx[j] == j;
        }
        if (identity) return y;
        if (out % in == 0) { // every input position repeated out / in times, in order: no arithmetic on the values
            long rep = out / in;
            boolean repeat = true;
            for (int j = 0; j < out; j++) repeat &= idx[j] == j / rep;
            if (repeat) return repeatEach(t, y, axis, rep);
        }
        float[] w = new float[(int) (out * in)];
        for (int j = 0; j < out; j++) w[(int) (j * in + idx[j])] = 1;
        return matrix(t, y, axis, in, out, w);
    }

    /** Each position along {@code axis} (2 or 3 of NCHW) repeated {@code rep} times. */
    private static Value repeatEach(Tracer t, Value y, int axis, long rep) {
        long[] s = y.shape();
        long[] split = axis == 3 ? new long[]{s[1], s[2], s[3], 1} : new long[]{s[1], s[2], 1, s[3]};
        Value c = Padding.widen(t, t.reshape(y, split), axis == 3 ? 4 : 3, rep);
        return axis == 3 ? t.reshape(c, s[1], s[2], s[3] * rep) : t.reshape(c, s[1], s[2] * rep, s[3]);
    }

    /** Row j of [out, in]: the two neighbours of the clamped source coordinate, weighted by distance. */
    private static float[] linearWeights(double[] src, long in, long out) {
        float[] w = new float[(int) (out * in)];
        for (int j = 0; j < out; j++) {
            double s = Math.max(0, Math.min(in - 1, src[j]));
            long lo = (long) Math.floor(s), hi = Math.min(lo + 1, in - 1);
            double f = s - lo;
            w[(int) (j * in + lo)] += (float) (1 - f);
            w[(int) (j * in + hi)] += (float) f;
        }
        return w;
    }

    /** y with axis 2 or 3 mapped through w [out, in]. */
    private Value matrix(Tracer t, Value y, int axis, long in, long out, float[] w) {
        if (axis == 3) return t.linear(y, w, out, in, null);
        Value p = t.permute(y, 0, 1, 3, 2);
        return t.permute(t.linear(p, w, out, in, null), 0, 1, 3, 2);
    }
}
