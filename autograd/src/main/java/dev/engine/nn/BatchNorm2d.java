package dev.engine.nn;

/**
 * Batch norm over [N, C, H, W] input (see {@link BatchNorm}); PyTorch defaults eps 1e-5, momentum 0.1.
 *
 * <pre>{@code
 * var block = new Sequential(new Conv2d(3, 16, 3).padding(1), new BatchNorm2d(16), new ReLU());
 * }</pre>
 */
public class BatchNorm2d extends BatchNorm {
    public BatchNorm2d(long features, double eps, double momentum, boolean affine, boolean trackRunningStats) {
        super(features, eps, momentum, affine, trackRunningStats);
    }

    public BatchNorm2d(long features) { this(features, 1e-5, 0.1, true, true); }

    @Override protected boolean acceptsRank(int rank) { return rank == 4; }
}
