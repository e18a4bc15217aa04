package dev.engine.optim;

import dev.engine.autograd.Tensor;
import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter): {@code p *= 1 - lr*wd} before the Adam
 * update, which then uses the raw gradient. PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, wd 0.01.
 *
 * <pre>{@code
 * var opt = new AdamW(model.parameters(), 1e-3);            // weight decay 0.01
 * var strong = new AdamW(model.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0.1);
 * }</pre>
 */
public class AdamW extends Adam {
    public AdamW(List<Tensor> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(params, lr, beta1, beta2, eps, weightDecay, true);
    }

    public AdamW(List<Tensor> params, double lr) { this(params, lr, 0.9, 0.999, 1e-8, 0.01); }
}
