package dev.engine.nn;

import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.graph.Traceable;
import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Base of every layer and model: named parameters (trainable tensors), buffers (state such as batch-norm
 * running statistics), submodules, train/eval mode and the state dict. Parameters and buffers live
 * outside any {@link MemoryScope}: they last as long as the module.
 *
 * <pre>{@code
 * class TwoLayer extends Module {
 *     final Linear a = registerModule("a", new Linear(4, 8, gen));
 *     final Linear b = registerModule("b", new Linear(8, 2, gen));
 *     public Tensor forward(Tensor x) { return b.forward(a.forward(x).relu()); }
 * }
 * Map<String, Tensor> state = new TwoLayer().stateDict();   // "a.weight", "a.bias", "b.weight", ...
 * }</pre>
 */
public abstract class Module implements Traceable {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Runs the layer on one input. */
    public abstract Tensor forward(Tensor input);

    /** Registers a trainable tensor (made a leaf that requires grad, owned by no scope). */
    protected final Tensor registerParameter(String name, Tensor value) {
        checkName(name);
        MemoryScope.detach(value);
        value.requiresGrad(true);
        parameters.put(name, value);
        return value;
    }

    /** Registers non-trainable state saved in the state dict (e.g. running mean). */
    protected final Tensor registerBuffer(String name, Tensor value) {
        checkName(name);
        MemoryScope.detach(value);
        buffers.put(name, value);
        return value;
    }

    protected final <M extends Module> M registerModule(String name, M module) {
        checkName(name);
        children.put(name, module);
        return module;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains("."))
            throw new EngineException("module member name '" + name + "' must be non-empty and contain no '.'");
        if (parameters.containsKey(name) || buffers.containsKey(name) || children.containsKey(name))
            throw new EngineException("module member '" + name + "' registered twice in " + getClass().getSimpleName());
    }

    /** Replaces a registered buffer's tensor (e.g. when loading). */
    protected final void setBuffer(String name, Tensor value) {
        if (!buffers.containsKey(name)) throw new EngineException("no buffer '" + name + "' in " + getClass().getSimpleName());
        MemoryScope.detach(value);
        buffers.put(name, value);
    }

    /** This module's own parameter registered under {@code name}. */
    protected final Tensor parameter(String name) {
        Tensor t = parameters.get(name);
        if (t == null) throw new EngineException("no parameter '" + name + "' in " + getClass().getSimpleName());
        return t;
    }

    /** This module's own buffer registered under {@code name}. */
    protected final Tensor buffer(String name) {
        Tensor t = buffers.get(name);
        if (t == null) throw new EngineException("no buffer '" + name + "' in " + getClass().getSimpleName());
        return t;
    }

    /**
     * Converts every floating parameter and buffer of this module and its descendants to {@code dtype}
     * (e.g. F64 for gradient checks), closing the old tensors; create optimizers afterwards. Returns this.
     */
    public Module to(DType dtype) {
        try (GradMode g = GradMode.noGrad()) {
            for (Map.Entry<String, Tensor> e : parameters.entrySet()) {
                Tensor old = e.getValue();
                if (old.dtype() == dtype || !old.dtype().isFloating()) continue;
                Tensor t = MemoryScope.detach(old.detach().to(dtype));
                e.setValue(t.requiresGrad(true));
                old.close();
            }
            for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
                Tensor old = e.getValue();
                if (old.dtype() == dtype || !old.dtype().isFloating()) continue;
                e.setValue(MemoryScope.detach(old.detach().to(dtype)));
                old.close();
            }
        }
        for (Module m : children.values()) m.to(dtype);
        return this;
    }

    /** Direct children in registration order. */
    public Map<String, Module> children() { return Collections.unmodifiableMap(children); }

    /** Every parameter of this module and its descendants, by dotted name, in registration order. */
    public Map<String, Tensor> namedParameters() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true, false);
        return out;
    }

    /** Every buffer, by dotted name. */
    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, false, true);
        return out;
    }

    private void collect(String prefix, Map<String, Tensor> out, boolean params, boolean bufs) {
        if (params) parameters.forEach((k, v) -> out.put(prefix + k, v));
        if (bufs) buffers.forEach((k, v) -> out.put(prefix + k, v));
        children.forEach((k, m) -> m.collect(prefix + k + ".", out, params, bufs));
    }

    /** Distinct parameters (a shared parameter appears once), for optimizers. */
    public List<Tensor> parameters() {
        Set<Tensor> seen = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<Tensor> out = new ArrayList<>();
        for (Tensor t : namedParameters().values()) if (seen.add(t)) out.add(t);
        return out;
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor t : parameters()) n += t.numel();
        return n;
    }

    /** Clears every parameter's gradient (keeps the memory). */
    public void zeroGrad() {
        for (Tensor p : parameters()) p.zeroGrad();
    }

    /** Training mode (dropout active, batch norm uses batch statistics); returns this. */
    public Module train() { return setTraining(true); }

    /** Evaluation mode; returns this. */
    public Module eval() { return setTraining(false); }

    public Module setTraining(boolean on) {
        training = on;
        for (Module m : children.values()) m.setTraining(on);
        return this;
    }

    public boolean isTraining() { return training; }

    /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collect("", out, true, true);
        return out;
    }

    /**
     * Copies values from a state dict into this module's parameters and buffers. Fails, naming the
     * entries, when keys are missing or unexpected (with {@code strict}) or shapes differ.
     */
    public void loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> mine = stateDict();
        List<String> problems = new ArrayList<>();
        if (strict) {
            Set<String> missing = new LinkedHashSet<>(mine.keySet());
            missing.removeAll(state.keySet());
            Set<String> unexpected = new LinkedHashSet<>(state.keySet());
            unexpected.removeAll(mine.keySet());
            if (!missing.isEmpty()) problems.add("missing keys " + missing);
            if (!unexpected.isEmpty()) problems.add("unexpected keys " + unexpected);
        }
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Tensor target = mine.get(e.getKey());
            if (target != null && !Arrays.equals(target.shape(), e.getValue().shape()))
                problems.add("'" + e.getKey() + "' has shape " + Shapes.str(e.getValue().shape()) + " but the module expects " + Shapes.str(target.shape()));
        }
        if (!problems.isEmpty()) throw new ShapeException("loadStateDict into " + getClass().getSimpleName() + ": " + String.join("; ", problems));
        try (GradMode g = GradMode.noGrad()) {
            for (Map.Entry<String, Tensor> e : state.entrySet()) {
                Tensor target = mine.get(e.getKey());
                if (target != null) target.copyFrom(e.getValue());
            }
        }
    }

    public void loadStateDict(Map<String, Tensor> state) { loadStateDict(state, true); }

    /** One line describing this layer's own configuration, e.g. "Linear(in=64, out=10, bias=true)". */
    public String describe() { return getClass().getSimpleName() + "()"; }

    /** A readable tree of the model with parameter counts. */
    @Override public String toString() {
        StringBuilder sb = new StringBuilder();
        tree(sb, "", "");
        sb.append("parameters: ").append(parameterCount());
        return sb.toString();
    }

    private void tree(StringBuilder sb, String indent, String name) {
        sb.append(indent).append(name.isEmpty() ? "" : "(" + name + "): ").append(describe()).append('\n');
        children.forEach((k, m) -> m.tree(sb, indent + "  ", k));
    }

    /**
     * Records this layer's eval-mode forward pass for freezing. Layers that can be frozen override it;
     * the default names the layer that cannot.
     */
    @Override public Value trace(Tracer t, Value x) {
        throw new EngineException(getClass().getSimpleName() + " cannot be frozen for inference yet (it does not implement trace); "
                + "run it eagerly in eval mode instead");
    }

}
