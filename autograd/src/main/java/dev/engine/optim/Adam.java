package dev.engine.optim;

import dev.engine.api.Backend;
import dev.engine.api.EngineException;
import dev.engine.api.OptimizerHyperparams;
import dev.engine.autograd.Tensor;
import java.util.List;

/**
 * Adam (Kingma and Ba) with PyTorch's update: {@code g += wd*p} (L2, coupled); {@code m = b1 m + (1-b1) g},
 * {@code v = b2 v + (1-b2) g^2}, {@code p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)}. State:
 * "exp_avg", "exp_avg_sq"; the step count {@code t} is the optimizer's. See {@link AdamW} for decoupled
 * weight decay.
 *
 * <pre>{@code
 * var opt = new Adam(model.parameters(), 1e-3);
 * var tuned = new Adam(model.parameters(), 3e-4, 0.9, 0.98, 1e-9, 0);
 * }</pre>
 */
public class Adam extends Optimizer {
    private final double beta1, beta2, eps, weightDecay;
    private final boolean decoupled;

    protected Adam(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled) {
        super(params, lr, "exp_avg", "exp_avg_sq");
        if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) throw new EngineException("Adam: betas (" + beta1 + ", " + beta2 + ") must be in [0, 1)");
        if (eps < 0 || weightDecay < 0) throw new EngineException("Adam: eps and weight decay must be >= 0");
        this.beta1 = beta1; this.beta2 = beta2; this.eps = eps; this.weightDecay = weightDecay; this.decoupled = decoupled;
    }

    public Adam(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(params, lr, beta1, beta2, eps, weightDecay, false);
    }

    /** betas (0.9, 0.999), eps 1e-8, no weight decay. */
    public Adam(List<Tensor> params, double lr) { this(params, lr, 0.9, 0.999, 1e-8, 0, false); }

    @Override protected void update(Backend be) {
        be.adamStep(pBufs, gBufs, sBufs[0], sBufs[1], new OptimizerHyperparams.Adam(lr, beta1, beta2, eps, weightDecay, decoupled, stepCount));
    }
}
