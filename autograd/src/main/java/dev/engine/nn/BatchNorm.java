package dev.engine.nn;

import dev.engine.api.EngineException;
import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.api.DType;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import dev.engine.autograd.Functional;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.Tensor;

/**
 * Batch normalisation over the channel axis 1, the shared implementation of {@link BatchNorm1d} and
 * {@link BatchNorm2d}. Parameters "weight" (ones) and "bias" (zeros) when affine; buffers
 * "running_mean", "running_var" and "num_batches_tracked" as PyTorch names them. Training mode uses the
 * batch statistics and updates the running ones ({@code momentum}, or a cumulative average when
 * momentum is NaN, PyTorch's {@code momentum=None}); eval mode normalises with the running statistics.
 *
 * <pre>{@code
 * BatchNorm2d bn = new BatchNorm2d(16);
 * Tensor y = bn.forward(x);      // training: batch statistics
 * bn.eval();
 * Tensor z = bn.forward(x);      // running statistics
 * }</pre>
 */
public abstract class BatchNorm extends Module {
    private final long features;
    private final double eps, momentum;
    private final boolean affine, track;

    protected BatchNorm(long features, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        this.features = features; this.eps = eps; this.momentum = momentum; this.affine = affine; this.track = trackRunningStats;
        if (affine) {
            registerParameter("weight", Tensor.ones(features));
            registerParameter("bias", Tensor.zeros(features));
        }
        if (trackRunningStats) {
            registerBuffer("running_mean", Tensor.zeros(features));
            registerBuffer("running_var", Tensor.ones(features));
            registerBuffer("num_batches_tracked", Tensor.zeros(DType.I64));
        }
    }

    /** Input ranks this layer accepts. */
    protected abstract boolean acceptsRank(int rank);

    public Tensor weight() { return affine ? parameter("weight") : null; }

    public Tensor bias() { return affine ? parameter("bias") : null; }

    public Tensor runningMean() { return track ? buffer("running_mean") : null; }

    public Tensor runningVar() { return track ? buffer("running_var") : null; }

    @Override public Tensor forward(Tensor x) {
        if (!acceptsRank(x.dim()) || x.size(1) != features)
            throw new ShapeException(getClass().getSimpleName() + "(" + features + "): unexpected input shape " + Shapes.str(x.shape()));
        boolean useBatch = isTraining() || !track;
        double m = momentum;
        if (isTraining() && track) {
            Tensor nb = buffer("num_batches_tracked");
            long count = (long) nb.item() + 1;
            try (GradMode g = GradMode.noGrad()) { nb.fill(count); }
            if (Double.isNaN(m)) m = 1.0 / count;
        }
        Tensor rm = isTraining() || track ? runningMean() : null, rv = isTraining() || track ? runningVar() : null;
        return Functional.batchNorm(x, rm, rv, weight(), bias(), useBatch, Double.isNaN(m) ? 0 : m, eps);
    }

    @Override public String describe() {
        return getClass().getSimpleName() + "(" + features + ", eps=" + eps + ", momentum=" + momentum + ", affine=" + affine
                + ", trackRunningStats=" + track + ")";
    }

    @Override public Value trace(Tracer t, Value x) {
        if (!track) throw new EngineException(getClass().getSimpleName() + ": cannot freeze without running statistics (trackRunningStats=false)");
        return t.batchNorm(x, affine ? weight().toFloatArray() : null, affine ? bias().toFloatArray() : null,
                runningMean().toFloatArray(), runningVar().toFloatArray(), eps);
    }
}
