package dev.engine.autograd;

import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;

/**
 * Functional forms of the fused ops that layers build on (the PyTorch {@code torch.nn.functional}
 * counterpart). Each op runs its backend kernel directly and records one graph node whose gradient rule
 * calls the matching backward kernel.
 *
 * <pre>{@code
 * Tensor y = Functional.linear(x, weight, bias);   // x W^T + b, bias fused into the GEMM
 * Tensor h = Functional.maxPool2d(Functional.conv2d(img, w, b, 1, 1), 2);
 * Tensor loss = Functional.crossEntropy(logits, labels);   // one fused kernel: loss and gradient
 * }</pre>
 */
public final class Functional {
    private Functional() {}

    /** {@code x W^T + bias}: x [..., in], W [out, in], bias [out] or null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) { return MatMulOp.linear(x, weight, bias); }

    // ---- convolution and pooling ------------------------------------------------------------------

    /**
     * 2-D convolution of x [N, C, H, W] (or [C, H, W]) with weight [K, C/groups, R, S] and optional bias [K];
     * stride, padding and dilation as {height, width}.
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return ConvOps.conv2d(x, weight, bias, pair("conv2d stride", stride), pair("conv2d padding", padding),
                pair("conv2d dilation", dilation), groups);
    }

    /** Square stride and padding, no dilation, one group. */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        return conv2d(x, weight, bias, new int[]{stride, stride}, new int[]{padding, padding}, new int[]{1, 1}, 1);
    }

    /** Max pooling with a kernel, stride and padding as {height, width}. */
    public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
        return PoolOps.maxPool2d(x, pair("maxPool2d kernel", kernel), pair("maxPool2d stride", stride), pair("maxPool2d padding", padding));
    }

    /** Square max pooling with stride equal to the kernel. */
    public static Tensor maxPool2d(Tensor x, int kernel) {
        return maxPool2d(x, new int[]{kernel, kernel}, new int[]{kernel, kernel}, new int[]{0, 0});
    }

    /** Average pooling; {@code countIncludePad} counts padded zeros in the divisor (PyTorch's default true). */
    public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean countIncludePad) {
        return PoolOps.avgPool2d(x, pair("avgPool2d kernel", kernel), pair("avgPool2d stride", stride), pair("avgPool2d padding", padding),
                countIncludePad);
    }

    public static Tensor avgPool2d(Tensor x, int kernel) {
        return avgPool2d(x, new int[]{kernel, kernel}, new int[]{kernel, kernel}, new int[]{0, 0}, true);
    }

    /** Adaptive average pooling to an {@code outH x outW} grid (PyTorch's window rule). */
    public static Tensor adaptiveAvgPool2d(Tensor x, long outH, long outW) { return PoolOps.adaptiveAvgPool2d(x, outH, outW); }

    private static int[] pair(String what, int[] v) {
        if (v == null || v.length != 2) throw new ShapeException(what + " must have 2 entries {height, width}");
        return v;
    }

    // ---- normalisation, dropout, embedding --------------------------------------------------------

    /**
     * Batch norm over axis 1 of x [N, C, ...]. Training mode normalises with batch statistics and updates
     * {@code runningMean}/{@code runningVar} in place (when not null) with {@code momentum} (PyTorch's
     * convention, unbiased variance); eval mode uses the running statistics. weight/bias may be null.
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias, boolean training,
                                   double momentum, double eps) {
        return NormOps.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    /** Layer norm over the trailing {@code normalizedShape} dims; weight/bias (that shape) may be null. */
    public static Tensor layerNorm(Tensor x, long[] normalizedShape, Tensor weight, Tensor bias, double eps) {
        return NormOps.layerNorm(x, normalizedShape, weight, bias, eps);
    }

    /**
     * Inverted dropout with the Philox mask for ({@code seed}, {@code offset}): kept elements are scaled by
     * {@code 1/(1-p)}. Callers advance {@code offset} by {@code x.numel()} per call for fresh masks.
     */
    public static Tensor dropout(Tensor x, double p, long seed, long offset) { return DropoutOp.dropout(x, p, seed, offset); }

    /** Rows of {@code weight} [V, D] picked by I64 {@code indices} (any shape); output indices.shape + [D]. */
    public static Tensor embedding(Tensor indices, Tensor weight) { return EmbeddingOp.embedding(indices, weight, -1); }

    /** Embedding whose {@code paddingIdx} row receives no gradient ({@code -1} for none). */
    public static Tensor embedding(Tensor indices, Tensor weight, long paddingIdx) { return EmbeddingOp.embedding(indices, weight, paddingIdx); }

    // ---- attention --------------------------------------------------------------------------------

    /**
     * {@code softmax(q k^T / sqrt(d) + mask) v} for q [..., Lq, d], k [..., Lk, d], v [..., Lk, dv]. The
     * additive {@code mask} (broadcast to [..., Lq, Lk], may be null) holds 0 to keep and -inf (or a large
     * negative value) to drop; {@code causal} also hides future keys.
     */
    public static Tensor scaledDotProductAttention(Tensor q, Tensor k, Tensor v, Tensor mask, boolean causal) {
        if (q.dim() < 2 || k.dim() < 2 || v.dim() < 2) throw new ShapeException("attention: q, k, v need at least 2 dims");
        long d = q.size(-1), lq = q.size(-2), lk = k.size(-2);
        Tensor scores = q.matmul(k.transpose(-1, -2)).mul(1.0 / Math.sqrt(d));
        if (causal) scores = scores.add(causalMask(lq, lk, q));
        if (mask != null) scores = scores.add(mask);
        return scores.softmax(-1).matmul(v);
    }

    /** Additive causal mask [lq, lk]: 0 where key j <= query i (aligned at the end), -inf above. */
    public static Tensor causalMask(long lq, long lk, Tensor like) {
        int n = Math.toIntExact(lq * lk);
        double[] m = new double[n];
        long shift = lk - lq;
        for (long i = 0; i < lq; i++) for (long j = 0; j < lk; j++) if (j > i + shift) m[(int) (i * lk + j)] = Double.NEGATIVE_INFINITY;
        return Tensor.of(like.backend(), m, lq, lk).to(like.dtype());
    }

    // ---- losses -----------------------------------------------------------------------------------

    /**
     * Cross-entropy from logits [N, C] (or [N, C, d1, ...]) and I64 targets [N] (or [N, d1, ...]), computed
     * with one fused kernel call that also yields the gradient. {@code weight} [C] may be null; rows whose
     * target is {@code ignoreIndex} count for nothing; MEAN divides by the summed target weights.
     */
    public static Tensor crossEntropy(Tensor logits, Tensor targets, Tensor weight, long ignoreIndex, double labelSmoothing, Reduction reduction) {
        return ClassificationLossOps.crossEntropy(logits, targets, weight, ignoreIndex, labelSmoothing, reduction);
    }

    /** Mean cross-entropy, no weights, ignore index -100, no smoothing. */
    public static Tensor crossEntropy(Tensor logits, Tensor targets) { return crossEntropy(logits, targets, null, -100, 0, Reduction.MEAN); }

    /** Negative log-likelihood from log-probabilities, same conventions as {@link #crossEntropy}. */
    public static Tensor nllLoss(Tensor logProbs, Tensor targets, Tensor weight, long ignoreIndex, Reduction reduction) {
        return ClassificationLossOps.nll(logProbs, targets, weight, ignoreIndex, reduction);
    }

    public static Tensor mseLoss(Tensor input, Tensor target, Reduction r) {
        return PointwiseLossOps.loss(PointwiseLossOps.Kind.MSE, 0, input, target, null, null, r);
    }

    public static Tensor l1Loss(Tensor input, Tensor target, Reduction r) {
        return PointwiseLossOps.loss(PointwiseLossOps.Kind.L1, 0, input, target, null, null, r);
    }

    /** Smooth L1: {@code 0.5 d^2 / beta} when {@code |d| < beta}, else {@code |d| - 0.5 beta}. */
    public static Tensor smoothL1Loss(Tensor input, Tensor target, double beta, Reduction r) {
        if (beta < 0) throw new EngineException("smoothL1Loss: beta " + beta + " must be >= 0");
        return PointwiseLossOps.loss(PointwiseLossOps.Kind.SMOOTH_L1, beta, input, target, null, null, r);
    }

    /** Huber: {@code 0.5 d^2} when {@code |d| < delta}, else {@code delta (|d| - 0.5 delta)}. */
    public static Tensor huberLoss(Tensor input, Tensor target, double delta, Reduction r) {
        if (delta <= 0) throw new EngineException("huberLoss: delta " + delta + " must be > 0");
        return PointwiseLossOps.loss(PointwiseLossOps.Kind.HUBER, delta, input, target, null, null, r);
    }

    /** Binary cross-entropy from probabilities in [0, 1] (logs clamped at -100 as PyTorch); weight may be null. */
    public static Tensor binaryCrossEntropy(Tensor probs, Tensor target, Tensor weight, Reduction r) {
        return PointwiseLossOps.loss(PointwiseLossOps.Kind.BCE, 0, probs, target, weight, null, r);
    }

    /** Numerically stable sigmoid + binary cross-entropy from logits; weight and posWeight may be null. */
    public static Tensor binaryCrossEntropyWithLogits(Tensor logits, Tensor target, Tensor weight, Tensor posWeight, Reduction r) {
        return PointwiseLossOps.loss(PointwiseLossOps.Kind.BCE_WITH_LOGITS, 0, logits, target, weight, posWeight, r);
    }

}
