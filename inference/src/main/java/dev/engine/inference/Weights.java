package dev.engine.inference;

import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.graph.Const;
import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.PackedMatrix;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A graph's constants uploaded once to a backend and shared, read-only, by every execution context.
 *
 * <pre>{@code
 * Weights w = Weights.upload(graph, backend);
 * Buffer bias = w.get(node, "bias");
 * PackedMatrix wt = w.packed(linearNode);   // the weight in the backend's GEMM layout
 * }</pre>
 *
 * <p>A linear layer's transposed weight ("weightT", [in, out]) is uploaded only in packed form
 * ({@link Backend#packMatrix}, or {@link Backend#packMatrixBf16} for a BF16 node): {@link #get} returns null for it.
 */
public final class Weights implements AutoCloseable {
    private final Backend backend;
    private final Map<Node, Map<String, Buffer>> byNode = new IdentityHashMap<>();
    private final Map<Node, PackedMatrix> packedByNode = new IdentityHashMap<>();
    private final Map<Integer, Buffer> constantValues = new HashMap<>();
    private final List<AutoCloseable> all = new ArrayList<>();

    private Weights(Backend backend) { this.backend = backend; }

    /** Copies every constant of {@code g} to {@code backend}. */
    public static Weights upload(Graph g, Backend backend) {
        Weights w = new Weights(backend);
        try {
            for (Node n : g.nodes()) {
                Map<String, Buffer> m = new HashMap<>();
                for (Map.Entry<String, Const> e : n.consts().entrySet()) {
                    Const c = e.getValue();
                    if (n.kind() == OpKind.LINEAR && e.getKey().equals("weightT")) {
                        w.packedByNode.put(n, Bf16Conversion.isBf16(n) ? w.packBf16(c) : w.pack(c));
                        continue;
                    }
                    if (Int8Quantizer.isInt8(n) && e.getKey().equals(Int8Quantizer.WEIGHT_Q)) {
                        Const q = n.kind() == OpKind.CONV2D ? filtersAsColumns(c) : c;
                        w.packedByNode.put(n, w.packInt8(n, q, n.constOrNull(Int8Quantizer.WEIGHT_SCALE)));
                        continue;
                    }
                    if (Int8Quantizer.isInt8(n) && e.getKey().equals(Int8Quantizer.WEIGHT_SCALE)) continue;  // inside the packed int8 matrix
                    if (n.kind() == OpKind.CONV2D && e.getKey().equals("weight") && n.intOr(WeightPacking.PACK_CONV, 0) == 1) {
                        w.packedByNode.put(n, w.packConv(c, (int) n.intOr("groups", 1)));
                        continue;
                    }
                    Buffer b = backend.allocate(DType.F32, Math.max(1, c.numel()));
                    w.all.add(b);
                    backend.copyIn(c.data(), 0, b, 0, c.numel());
                    m.put(e.getKey(), b);
                }
                w.byNode.put(n, m);
                if (n.kind() == OpKind.CONSTANT) w.constantValues.put(n.output().id(), m.get("value"));
            }
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
        return w;
    }

    private PackedMatrix pack(Const c) {
        long[] s = c.shape();
        return uploadPacked(c, raw -> backend.packMatrix(raw, s[0], s[1]));
    }

    /** A BF16 node's [in, out] weight, rounded and packed by the backend. */
    private PackedMatrix packBf16(Const c) {
        long[] s = c.shape();
        if (s.length != 2) throw new ShapeException("bf16 linear weight " + Shapes.str(s) + " must be [in, out]");
        return uploadPacked(c, raw -> backend.packMatrixBf16(raw, s[0], s[1]));
    }

    /** A KCRS convolution weight as the [C*R*S, K] matrix the int8 convolution multiplies by (one filter per column). */
    private static Const filtersAsColumns(Const kcrs) {
        long[] s = kcrs.shape();
        if (s.length != 4) throw new ShapeException("int8 conv2d weight " + Shapes.str(s) + " must be KCRS");
        int k = (int) s[0], crs = kcrs.numel() / Math.max(1, k);
        float[] d = kcrs.data(), t = new float[d.length];
        for (int f = 0; f < k; f++) for (int i = 0; i < crs; i++) t[i * k + f] = d[f * crs + i];
        return new Const(t, crs, k);
    }

    /** An int8 weight ([in, out] integers) and its [out] scales, packed by the backend. */
    private PackedMatrix packInt8(Node n, Const q, Const scales) {
        long[] s = q.shape();
        if (s.length != 2 || scales == null || scales.numel() != s[1])
            throw new ShapeException("int8 node '" + n.name() + "': weightQ " + Shapes.str(s) + " needs a weightScale of " + (s.length == 2 ? s[1] : "?") + " values");
        float[] d = q.data();
        int[] v = new int[d.length];
        for (int i = 0; i < d.length; i++) {
            if (d[i] != Math.rint(d[i]) || Math.abs(d[i]) > 127)
                throw new EngineException("int8 node '" + n.name() + "': weightQ value " + d[i] + " at element " + i + " is not an integer in [-127, 127]");
            v[i] = (int) d[i];
        }
        try (Buffer raw = backend.allocate(DType.I32, Math.max(1, v.length)); Buffer sc = backend.allocate(DType.F32, Math.max(1, scales.numel()))) {
            backend.copyIn(v, 0, raw, 0, v.length);
            backend.copyIn(scales.data(), 0, sc, 0, scales.numel());
            PackedMatrix p = backend.packMatrixInt8(raw, sc, s[0], s[1]);
            all.add(p);
            return p;
        }
    }

    private PackedMatrix packConv(Const c, int groups) {
        long[] s = c.shape();
        if (s.length != 4) throw new ShapeException("conv2d weight " + Shapes.str(s) + " must be KCRS");
        return uploadPacked(c, raw -> backend.packConvWeight(raw, s[0], s[1] * s[2] * s[3], groups));
    }

    /** Uploads c to a temporary buffer and keeps what {@code packer} makes of it (owned by these weights). */
    private PackedMatrix uploadPacked(Const c, java.util.function.Function<Buffer, PackedMatrix> packer) {
        try (Buffer raw = backend.allocate(DType.F32, Math.max(1, c.numel()))) {
            backend.copyIn(c.data(), 0, raw, 0, c.numel());
            PackedMatrix p = packer.apply(raw);
            all.add(p);
            return p;
        }
    }

    public Backend backend() { return backend; }

    /** The packed weight of a linear node (transposed) or of a conv node marked by {@link WeightPacking}, or null. */
    public PackedMatrix packed(Node n) { return packedByNode.get(n); }

    /** The buffer of constant {@code key} of node {@code n}, or null when it has none. */
    public Buffer get(Node n, String key) {
        Map<String, Buffer> m = byNode.get(n);
        return m == null ? null : m.get(key);
    }

    /** The buffer of a CONSTANT node's value. */
    public Buffer value(int valueId) { return constantValues.get(valueId); }

    @Override public void close() {
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing frozen weights", e);
            }
        }
    }
}
