package dev.engine.inference.onnx;

import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Explicit padding of a graph value along its non-batch axes, made of the IR's slices and concats: ONNX's Pad
 * (modes constant, reflect, edge and wrap; negative amounts crop) and the asymmetric part of a convolution's or
 * pool's padding, which the IR's symmetric padding cannot hold. A constant border is an elementwise program that
 * writes the constant whatever it reads (so a NaN or infinity beside it does not leak into the border).
 *
 * <pre>{@code
 * Value y = Padding.pad(t, x, new long[]{0, 0, 1, 1}, new long[]{0, 0, 2, 2}, "constant", 0f, what);  // NCHW, H and W
 * }</pre>
 */
final class Padding {
    private Padding() {}

    /** {@code x} padded by {@code begin[a]} / {@code end[a]} elements on axis a (the batch axis must stay 0). */
    static Value pad(Tracer t, Value x, long[] begin, long[] end, String mode, float value, String what) {
        if (begin[0] != 0 || end[0] != 0) throw new dev.engine.api.ModelFormatException(what + ": padding the batch axis is not supported");
        Value v = x;
        for (int a = 1; a < x.rank(); a++) {
            long b = begin[a], e = end[a];
            if (b < 0 || e < 0) { // crop first
                long d = v.dim(a), lo = Math.max(0, -b), hi = d - Math.max(0, -e);
                if (hi <= lo) throw new dev.engine.api.ModelFormatException(what + ": pads " + b + ", " + e + " crop axis " + a + " of size " + d + " away");
                v = t.slice(v, a, lo, hi, 1);
                b = Math.max(0, b);
                e = Math.max(0, e);
            }
            if (b == 0 && e == 0) continue;
            v = padAxis(t, v, a, b, e, mode, value, what);
        }
        return v;
    }

    private static Value padAxis(Tracer t, Value v, int a, long b, long e, String mode, float value, String what) {
        long d = v.dim(a);
        if (mode.equals("reflect") && (b >= d || e >= d))
            throw new dev.engine.api.ModelFormatException(what + ": reflect padding of " + Math.max(b, e) + " needs more than " + d + " elements on axis " + a);
        if (mode.equals("wrap") && (b > d || e > d))
            throw new dev.engine.api.ModelFormatException(what + ": wrap padding of " + Math.max(b, e) + " exceeds the " + d + " elements of axis " + a);
        List<Value> parts = new ArrayList<>();
        border(t, v, a, b, true, mode, value, parts);
        parts.add(v);
        border(t, v, a, e, false, mode, value, parts);
        return t.concat(a, parts.toArray(new Value[0]));
    }

    private static void border(Tracer t, Value v, int a, long count, boolean before, String mode, float value, List<Value> parts) {
        if (count == 0) return;
        long d = v.dim(a);
        switch (mode) {
            case "constant" -> parts.add(widen(t, fill(t, t.slice(v, a, 0, Math.min(count, d), 1), value), a, count));
            case "edge" -> parts.add(widen(t, before ? t.slice(v, a, 0, 1, 1) : t.slice(v, a, d - 1, d, 1), a, count));
            case "reflect" -> { // before: x[count] .. x[1]; after: x[d-2] .. x[d-1-count]
                if (count > 1024) throw new dev.engine.api.ModelFormatException("reflect padding of " + count + " (more than 1024) is not supported");
                for (long i = 0; i < count; i++) {
                    long src = before ? count - i : d - 2 - i;
                    parts.add(t.slice(v, a, src, src + 1, 1));
                }
            }
            case "wrap" -> parts.add(before ? t.slice(v, a, d - count, d, 1) : t.slice(v, a, 0, count, 1));
            default -> throw new IllegalStateException(mode);
        }
    }

    /** {@code part} (all its slices along axis a alike) repeated up to {@code count} along a: doubling, so log(count) concats. */
    static Value widen(Tracer t, Value part, int a, long count) {
        Value w = part;
        while (w.dim(a) < count) w = t.concat(a, w, w);
        return w.dim(a) == count ? w : t.slice(w, a, 0, count, 1);
    }

    /** A value of {@code like}'s shape holding {@code value} everywhere. */
    static Value fill(Tracer t, Value like, float value) {
        ElementwiseProgram.Builder p = ElementwiseProgram.builder(1);
        return t.elementwise(p.build(p.opImm(ElementwiseOp.CONST, value)), like);
    }
}
