package dev.engine.api;

/**
 * Hyperparameters of the fused multi-tensor optimizer kernels, one record per rule.
 *
 * <pre>{@code
 * backend.adamStep(params, grads, m, v, new OptimizerHyperparams.Adam(1e-3, 0.9, 0.999, 1e-8, 0.01, true, 1));
 * }</pre>
 */
public final class OptimizerHyperparams {
    private OptimizerHyperparams() {}

    /** SGD: {@code v = momentum*v + (1-dampening)*(g + wd*p); p -= lr * (nesterov ? g + momentum*v : v)}. */
    public record Sgd(double lr, double momentum, double dampening, double weightDecay, boolean nesterov) {}

    /**
     * Adam / AdamW (decoupled weight decay when {@code decoupled}); {@code step} counts from 1 for bias
     * correction.
     */
    public record Adam(double lr, double beta1, double beta2, double eps, double weightDecay, boolean decoupled, long step) {
        public Adam {
            if (step < 1) throw new EngineException("adam: step must start at 1, got " + step);
        }
    }

    /** RMSProp: {@code s = alpha*s + (1-alpha)*g^2; p -= lr * g / (sqrt(s) + eps)} (with optional momentum buffer). */
    public record RmsProp(double lr, double alpha, double eps, double weightDecay, double momentum) {}
}
