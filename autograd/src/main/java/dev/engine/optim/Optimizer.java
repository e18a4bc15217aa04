package dev.engine.optim;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Base of the optimizers: a fixed parameter list, a learning rate, a step count and named per-parameter
 * state buffers (PyTorch's names: "momentum_buffer", "exp_avg", ...). {@link #step()} updates every
 * parameter that has a gradient with ONE call to the backend's fused multi-tensor kernel; the
 * {@code Buffer[]} argument arrays are cached and rebuilt only when the set of parameters with gradients
 * changes, so a steady-state step allocates no native memory. State lives outside any
 * {@link MemoryScope}.
 *
 * <pre>{@code
 * Optimizer opt = new Adam(model.parameters(), 1e-3);
 * for (...) {
 *     try (MemoryScope s = MemoryScope.open()) {
 *         opt.zeroGrad();
 *         lossFn.forward(model.forward(x), y).backward();
 *         opt.step();
 *     }
 * }
 * Map<String, Tensor> saved = opt.stateDict();   // "step", "lr", "state.0.exp_avg", ...
 * }</pre>
 */
public abstract class Optimizer {
    protected final List<Tensor> params;
    protected double lr;
    protected long stepCount;
    private final String[] stateNames;
    /** state[k][i]: state buffer k of parameter i (null until the parameter first has a gradient). */
    private final Tensor[][] state;

    // cached kernel arguments for the current set of parameters with gradients
    private Tensor[] cachedGrads;
    protected Buffer[] pBufs, gBufs;
    protected Buffer[][] sBufs;
    protected int[] active = new int[0];

    protected Optimizer(List<Tensor> params, double lr, String... stateNames) {
        if (params.isEmpty()) throw new EngineException(getClass().getSimpleName() + ": no parameters to optimize");
        if (!(lr >= 0)) throw new EngineException(getClass().getSimpleName() + ": learning rate " + lr + " must be >= 0");
        this.params = List.copyOf(params);
        DType dt = this.params.get(0).dtype();
        for (Tensor p : this.params) {
            if (!p.requiresGrad()) throw new EngineException(getClass().getSimpleName() + ": a parameter of shape " + Shapes.str(p.shape()) + " does not require grad");
            if (p.dtype() != dt || p.backend() != this.params.get(0).backend())
                throw new EngineException(getClass().getSimpleName() + ": all parameters must share one dtype and backend (" + dt + " vs " + p.dtype() + ")");
            checkWhole("parameter", p);
        }
        this.lr = lr;
        this.stateNames = stateNames;
        this.state = new Tensor[stateNames.length][this.params.size()];
        this.cachedGrads = new Tensor[this.params.size()];
    }

    private static void checkWhole(String what, Tensor t) {
        if (!t.isContiguous() || t.layout().offset() != 0 || t.numel() != t.buffer().length())
            throw new EngineException("optimizer: each " + what + " must own its whole buffer (contiguous, offset 0); got a view of shape " + Shapes.str(t.shape()));
    }

    public double lr() { return lr; }

    /** Sets the learning rate (used by schedules). */
    public void setLr(double lr) { this.lr = lr; }

    /** Number of completed steps. */
    public long stepCount() { return stepCount; }

    public List<Tensor> params() { return params; }

    /** Zeroes every parameter's gradient (keeping its memory). */
    public void zeroGrad() { for (Tensor p : params) p.zeroGrad(); }

    /** One update of every parameter that has a gradient (one fused kernel call). */
    public final void step() {
        refreshActive();
        stepCount++;
        if (active.length == 0) return;
        update(pBufs[0].backend());
    }

    /** Calls the fused kernel over {@link #pBufs}, {@link #gBufs} and {@link #sBufs}. */
    protected abstract void update(dev.engine.api.Backend backend);

    /** Rebuilds the cached argument arrays when the set of gradients changed; allocates state lazily. */
    private void refreshActive() {
        boolean same = true;
        int n = 0;
        for (int i = 0; i < params.size(); i++) {
            Tensor g = params.get(i).grad();
            if (g != cachedGrads[i]) same = false;
            if (g != null) n++;
        }
        if (same && pBufs != null) return;
        int[] act = new int[n];
        int k = 0;
        for (int i = 0; i < params.size(); i++) {
            Tensor g = params.get(i).grad();
            cachedGrads[i] = g;
            if (g == null) continue;
            checkWhole("gradient", g);
            act[k++] = i;
        }
        active = act;
        pBufs = new Buffer[n];
        gBufs = new Buffer[n];
        sBufs = new Buffer[stateNames.length][n];
        for (int j = 0; j < n; j++) {
            int i = act[j];
            pBufs[j] = params.get(i).buffer();
            gBufs[j] = cachedGrads[i].buffer();
            for (int s = 0; s < stateNames.length; s++) sBufs[s][j] = stateTensor(s, i).buffer();
        }
    }

    /** State buffer {@code s} of parameter {@code i}, allocated as zeros outside any scope on first use. */
    protected final Tensor stateTensor(int s, int i) {
        if (state[s][i] == null) {
            Tensor p = params.get(i);
            state[s][i] = MemoryScope.detach(Tensor.full(p.backend(), p.dtype(), 0, p.shape()));
            onStateCreated(s, i);
        }
        return state[s][i];
    }

    /** Hook: state buffer {@code s} of parameter {@code i} was just created (zeros). */
    protected void onStateCreated(int s, int i) {}

    /** Whether parameter {@code i} already has state buffer {@code s}. */
    protected final boolean hasState(int s, int i) { return state[s][i] != null; }

    /**
     * The optimizer's state: "step" and "lr" (0-d F64 tensors, new) and "state.{i}.{name}" for every
     * allocated buffer (the live tensors).
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("step", MemoryScope.detach(Tensor.full(DType.F64, stepCount)));
        out.put("lr", MemoryScope.detach(Tensor.full(DType.F64, lr)));
        for (int i = 0; i < params.size(); i++)
            for (int s = 0; s < stateNames.length; s++)
                if (state[s][i] != null) out.put("state." + i + "." + stateNames[s], state[s][i]);
        return out;
    }

    /** Restores a state dict saved by the same kind of optimizer over parameters of the same shapes. */
    public void loadStateDict(Map<String, Tensor> dict) {
        List<String> problems = new ArrayList<>();
        for (String key : dict.keySet()) {
            if (key.equals("step") || key.equals("lr")) continue;
            String[] parts = key.split("\\.");
            int s = parts.length == 3 && parts[0].equals("state") ? Arrays.asList(stateNames).indexOf(parts[2]) : -1;
            int i = -1;
            try { i = s >= 0 ? Integer.parseInt(parts[1]) : -1; } catch (NumberFormatException e) { /* reported below */ }
            if (s < 0 || i < 0 || i >= params.size()) { problems.add("unexpected key '" + key + "'"); continue; }
            if (!Arrays.equals(dict.get(key).shape(), params.get(i).shape()))
                problems.add("'" + key + "' has shape " + Shapes.str(dict.get(key).shape()) + " but parameter " + i + " is " + Shapes.str(params.get(i).shape()));
        }
        if (!problems.isEmpty()) throw new ShapeException(getClass().getSimpleName() + ".loadStateDict: " + String.join("; ", problems));
        try (GradMode g = GradMode.noGrad()) {
            for (Map.Entry<String, Tensor> e : dict.entrySet()) {
                switch (e.getKey()) {
                    case "step" -> stepCount = (long) e.getValue().item();
                    case "lr" -> lr = e.getValue().item();
                    default -> {
                        String[] parts = e.getKey().split("\\.");
                        stateTensor(Arrays.asList(stateNames).indexOf(parts[2]), Integer.parseInt(parts[1])).copyFrom(e.getValue());
                    }
                }
            }
        }
        pBufs = null;   // rebuild the argument arrays
    }
}
