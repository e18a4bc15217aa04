package dev.engine.optim;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.EngineException;
import dev.engine.api.OptimizerHyperparams;
import dev.engine.autograd.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay,
 * exactly PyTorch's rule: {@code g += wd*p; v = momentum*v + (1-dampening)*g} (the first step sets
 * {@code v = g}); {@code p -= lr * (nesterov ? g + momentum*v : v)}. State: "momentum_buffer".
 *
 * <pre>{@code
 * var opt = new SGD(model.parameters(), 0.1, 0.9, 0, 5e-4, true);   // Nesterov, weight decay
 * var plain = new SGD(model.parameters(), 0.01);
 * }</pre>
 */
public class SGD extends Optimizer {
    private final double momentum, dampening, weightDecay;
    private final boolean nesterov;
    private final boolean[] initialized;

    public SGD(List<Tensor> params, double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {
        super(params, lr, momentum != 0 ? new String[]{"momentum_buffer"} : new String[0]);
        if (momentum < 0 || weightDecay < 0) throw new EngineException("SGD: momentum " + momentum + " and weight decay " + weightDecay + " must be >= 0");
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new EngineException("SGD: Nesterov momentum requires momentum > 0 and zero dampening");
        this.momentum = momentum; this.dampening = dampening; this.weightDecay = weightDecay; this.nesterov = nesterov;
        this.initialized = new boolean[this.params.size()];
    }

    public SGD(List<Tensor> params, double lr) { this(params, lr, 0, 0, 0, false); }

    public SGD(List<Tensor> params, double lr, double momentum) { this(params, lr, momentum, 0, 0, false); }

    @Override protected void update(Backend be) {
        Buffer[] mom = momentum != 0 ? sBufs[0] : null;
        // PyTorch starts the momentum buffer at the first gradient (no dampening): with a zero buffer,
        // dampening 0 gives exactly v = g
        boolean anyFresh = false;
        for (int i : active) anyFresh |= !initialized[i];
        double damp = anyFresh && dampening != 0 && momentum != 0 ? 0 : dampening;
        if (anyFresh && damp != dampening) {
            boolean allFresh = true;
            for (int i : active) allFresh &= !initialized[i];
            if (!allFresh) throw new EngineException("SGD: parameters first receiving gradients at different steps with dampening != 0 are not supported");
        }
        be.sgdStep(pBufs, gBufs, mom, new OptimizerHyperparams.Sgd(lr, momentum, damp, weightDecay, nesterov));
        for (int i : active) initialized[i] = true;
    }

    @Override public void loadStateDict(Map<String, Tensor> dict) {
        super.loadStateDict(dict);
        for (String k : dict.keySet()) if (k.startsWith("state.")) initialized[Integer.parseInt(k.split("\\.")[1])] = true;
    }
}
