package dev.engine.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.autograd.Functional;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Reduction;
import dev.engine.autograd.Tensor;
import dev.engine.nn.loss.*;
import org.junit.jupiter.api.Test;

/** The loss classes forward their settings to the fused ops and match hand-computed values. */
class LossModuleTest {
    @Test void lossClassesMatchFormulas() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor x = Tensor.of(new double[]{0.5, -1, 2, 0}, 2, 2), y = Tensor.of(new double[]{1, 0, 0, 1}, 2, 2);
            assertEquals((0.25 + 1 + 4 + 1) / 4, new MSELoss().forward(x, y).item(), 1e-12);
            assertEquals(0.5 + 1 + 2 + 1, new L1Loss(Reduction.SUM).forward(x, y).item(), 1e-12);
            assertEquals((0.125 + 0.5 + 1.5 + 0.5) / 4, new SmoothL1Loss().forward(x, y).item(), 1e-12);
            // delta 2: all differences are below 2, so 0.5 d^2
            assertEquals((0.125 + 0.5 + 2 + 0.5) / 4, new HuberLoss(Reduction.MEAN, 2).forward(x, y).item(), 1e-12);
            double bce = 0;
            double[] xv = {0.5, -1, 2, 0}, yv = {1, 0, 0, 1};
            for (int i = 0; i < 4; i++) bce += Math.log1p(Math.exp(-xv[i])) + (1 - yv[i]) * xv[i];
            assertEquals(bce / 4, new BCEWithLogitsLoss().forward(x, y).item(), 1e-12);
            assertEquals(bce / 4, new BCELoss().forward(x.sigmoid(), y).item(), 1e-12);
            Tensor logits = Tensor.of(new double[]{2, 0, -1, 0.5, 0.5, 3}, 2, 3);
            Tensor t = Tensor.ofLongs(new long[]{0, 2}, 2);
            double ce = Functional.crossEntropy(logits, t).item();
            assertEquals(ce, new CrossEntropyLoss().forward(logits, t).item(), 1e-15);
            assertEquals(ce, new NLLLoss().forward(logits.logSoftmax(1), t).item(), 1e-12);
            // label smoothing: (1-eps) * nll + eps/C * sum_j -logp_j
            double[] lp = logits.logSoftmax(1).toDoubleArray();
            double smooth = 0;
            for (int r = 0; r < 2; r++) {
                double sum = 0;
                for (int j = 0; j < 3; j++) sum -= lp[r * 3 + j];
                smooth += 0.9 * -lp[r * 3 + (r == 0 ? 0 : 2)] + 0.1 / 3 * sum;
            }
            assertEquals(smooth / 2, CrossEntropyLoss.builder().labelSmoothing(0.1).build().forward(logits, t).item(), 1e-12);
            assertArrayEquals(new long[]{2}, CrossEntropyLoss.builder().reduction(Reduction.NONE).build().forward(logits, t).shape());
        }
    }
}
