package dev.engine.optim;

import dev.engine.api.Backend;
import dev.engine.api.EngineException;
import dev.engine.api.OptimizerHyperparams;
import dev.engine.autograd.Tensor;
import java.util.List;

/**
 * RMSProp as PyTorch (non-centered): {@code g += wd*p; s = alpha*s + (1-alpha)*g^2}; with momentum
 * {@code b = momentum*b + g/(sqrt(s)+eps); p -= lr*b}, else {@code p -= lr*g/(sqrt(s)+eps)}. State:
 * "square_avg" and, with momentum, "momentum_buffer". Defaults alpha 0.99, eps 1e-8.
 *
 * <pre>{@code
 * var opt = new RMSProp(model.parameters(), 1e-2);
 * var withMomentum = new RMSProp(model.parameters(), 1e-3, 0.9, 1e-8, 0, 0.9);
 * }</pre>
 */
public class RMSProp extends Optimizer {
    private final double alpha, eps, weightDecay, momentum;

    public RMSProp(List<Tensor> params, double lr, double alpha, double eps, double weightDecay, double momentum) {
        super(params, lr, momentum != 0 ? new String[]{"square_avg", "momentum_buffer"} : new String[]{"square_avg"});
        if (alpha < 0 || eps < 0 || weightDecay < 0 || momentum < 0)
            throw new EngineException("RMSProp: alpha, eps, weight decay and momentum must be >= 0");
        this.alpha = alpha; this.eps = eps; this.weightDecay = weightDecay; this.momentum = momentum;
    }

    public RMSProp(List<Tensor> params, double lr) { this(params, lr, 0.99, 1e-8, 0, 0); }

    @Override protected void update(Backend be) {
        be.rmspropStep(pBufs, gBufs, sBufs[0], momentum != 0 ? sBufs[1] : null, new OptimizerHyperparams.RmsProp(lr, alpha, eps, weightDecay, momentum));
    }
}
