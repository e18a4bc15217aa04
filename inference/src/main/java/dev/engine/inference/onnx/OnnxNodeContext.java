package dev.engine.inference.onnx;

import dev.engine.api.ModelFormatException;
import dev.engine.graph.Value;
import java.util.List;

/**
 * The node being converted and what every op family needs about it: its typed attributes, its inputs
 * as graph values or constants, defining its output, and a {@link ModelFormatException} that names the op,
 * the node and the opset. {@link OnnxOps} (sources, shape arithmetic, elementwise), {@link LayoutOps} and
 * {@link LayerOps} extend it.
 *
 * <pre>{@code
 * long axis = attrInt("axis", 1);        // in an op family, for the bound node
 * ConstTensor shape = k(ins, 1);          // input 1, which must be known at import time
 * }</pre>
 */
abstract class OnnxNodeContext {
    final OnnxImporter im;
    OnnxProto.Node n;
    String what;

    OnnxNodeContext(OnnxImporter im) { this.im = im; }

    /** Makes {@code node} the one the helpers talk about. */
    void bind(OnnxProto.Node node) {
        n = node;
        what = "onnx: " + n.label() + " (opset " + im.opset + ")";
    }


    ModelFormatException unsupported(String why) { return new ModelFormatException(what + ": " + why); }

    OnnxProto.Attribute attr(String name) { return n.attributes().get(name); }

    long attrInt(String name, long dflt) {
        OnnxProto.Attribute a = attr(name);
        if (a == null) {
            if (dflt == Long.MIN_VALUE) throw unsupported("attribute '" + name + "' is required");
            return dflt;
        }
        if (a.type() != 2) throw unsupported("attribute '" + name + "' must be an int (type " + a.type() + ")");
        return a.i();
    }

    float attrFloat(String name, float dflt) {
        OnnxProto.Attribute a = attr(name);
        if (a == null) return dflt;
        if (a.type() != 1) throw unsupported("attribute '" + name + "' must be a float (type " + a.type() + ")");
        return a.f();
    }

    long[] attrInts(String name) {
        OnnxProto.Attribute a = attr(name);
        if (a == null) return null;
        if (a.type() != 7) throw unsupported("attribute '" + name + "' must be ints (type " + a.type() + ")");
        return a.ints();
    }

    String attrString(String name, String dflt) {
        OnnxProto.Attribute a = attr(name);
        if (a == null) return dflt;
        if (a.type() != 3) throw unsupported("attribute '" + name + "' must be a string (type " + a.type() + ")");
        return a.s();
    }

    Object arg(List<Object> ins, int i) {
        Object o = i < ins.size() ? ins.get(i) : null;
        if (o == null) throw unsupported("input " + i + " is missing");
        return o;
    }

    ConstTensor k(List<Object> ins, int i) {
        Object o = arg(ins, i);
        if (!(o instanceof ConstTensor c)) throw unsupported("input " + i + " ('" + n.inputs().get(i) + "') must be a constant (it depends on the graph input)");
        return c;
    }

    long[] optLongs(List<Object> ins, int i) { return i < ins.size() && ins.get(i) != null ? k(ins, i).asLongs() : null; }

    Value dyn(List<Object> ins, int i) {
        Object o = arg(ins, i);
        if (o instanceof Value v) return v;
        throw unsupported("input " + i + " is a constant; only graph values are supported here");
    }

    Value asValue(Object o) { return o instanceof Value v ? v : im.constantValue((ConstTensor) o); }

    void out(Object v) { im.define(n, 0, v); }
}
