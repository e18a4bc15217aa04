package dev.engine.optim;

import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.BufferView;
import dev.engine.api.ReduceOp;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import java.util.Collection;

/**
 * Gradient clipping, in place on the parameters' gradients (parameters without a gradient are skipped),
 * as {@code torch.nn.utils.clip_grad_norm_} / {@code clip_grad_value_}.
 *
 * <pre>{@code
 * loss.backward();
 * double norm = GradClip.byNorm(model.parameters(), 1.0);   // total L2 norm before clipping
 * GradClip.byValue(model.parameters(), 0.5);
 * opt.step();
 * }</pre>
 */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales all gradients by {@code maxNorm / (total + 1e-6)} when their global L2 norm exceeds
     * {@code maxNorm}; returns the total norm before clipping.
     */
    public static double byNorm(Collection<Tensor> params, double maxNorm) {
        double total = globalNorm(params);
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1) {
            try (GradMode g = GradMode.noGrad()) {
                for (Tensor p : params) if (p.grad() != null) p.grad().mulInPlace(coef);
            }
        }
        return total;
    }

    /** The L2 norm of all gradients together (one small reduction per tensor, one read-back). */
    public static double globalNorm(Collection<Tensor> params) {
        double sumSq = 0;
        try (MemoryScope s = MemoryScope.open(); GradMode g = GradMode.noGrad()) {
            Tensor acc = null;
            for (Tensor p : params) {
                Tensor gr = p.grad();
                if (gr == null || gr.numel() == 0) continue;
                Tensor part = Tensor.empty(gr.backend(), gr.dtype());
                int[] axes = new int[gr.dim()];
                for (int i = 0; i < axes.length; i++) axes[i] = i;
                if (gr.dim() == 0) { part = gr.square(); }
                else gr.backend().reduce(ReduceOp.SUM_SQUARES, gr.view(), axes, part.buffer());
                acc = acc == null ? part.to(dev.engine.api.DType.F64) : acc.add(part.to(dev.engine.api.DType.F64));
            }
            if (acc != null) sumSq = acc.item();
        }
        return Math.sqrt(sumSq);
    }

    /** Clamps every gradient element to {@code [-clip, clip]}. */
    public static void byValue(Collection<Tensor> params, double clip) {
        var b = ElementwiseProgram.builder(1);
        ElementwiseProgram prog = b.build(b.opImm(ElementwiseOp.CLAMP_MAX, clip, b.opImm(ElementwiseOp.CLAMP_MIN, -clip, 0)));
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g == null || g.numel() == 0) continue;
            BufferView v = g.view();
            g.backend().elementwise(prog, new BufferView[]{v}, v);
        }
    }

}
