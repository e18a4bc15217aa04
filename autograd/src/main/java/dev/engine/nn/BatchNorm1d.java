package dev.engine.nn;

/**
 * Batch norm over [N, C] or [N, C, L] input (see {@link BatchNorm}); PyTorch defaults eps 1e-5, momentum 0.1.
 *
 * <pre>{@code
 * var net = new Sequential(new Linear(10, 32), new BatchNorm1d(32), new ReLU());
 * }</pre>
 */
public class BatchNorm1d extends BatchNorm {
    public BatchNorm1d(long features, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(features, eps, momentum, affine, trackRunningStats);
    }

    public BatchNorm1d(long features) { this(features, 1e-5, 0.1, true, true); }

    @Override protected boolean acceptsRank(int rank) { return rank == 2 || rank == 3; }
}
