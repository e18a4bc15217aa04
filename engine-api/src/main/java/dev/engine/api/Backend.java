package dev.engine.api;

/**
 * The backend SPI: memory on one device plus the kernel set every backend implements. Every kernel takes
 * explicit layouts or sizes, so strided views (transpose, slice, broadcast) need no copy. Every argument
 * is checked in Java before it crosses into native code, once, by {@link CheckedBackend} (which every
 * backend extends; this interface is sealed to it): a bad call throws the same {@link EngineException}
 * subclass with the same message on every backend, naming the op and the offending shapes, never crashes.
 *
 * <p>Backends are found with {@link Backends}; implementations register through
 * {@code META-INF/services/dev.engine.api.Backend}.
 *
 * <pre>{@code
 * Backend be = Backends.preferred();
 * try (Buffer a = be.allocate(DType.F32, 6); Buffer out = be.allocate(DType.F32, 6)) {
 *     be.copyIn(new float[]{-1, 2, -3, 4, -5, 6}, 0, a, 0, 6);
 *     be.elementwise(ElementwiseProgram.single(ElementwiseOp.RELU, 0),
 *             new BufferView[]{BufferView.of(a, 2, 3)}, BufferView.of(out, 2, 3));
 *     float[] r = new float[6];
 *     be.copyOut(out, 0, r, 0, 6);   // {0, 2, 0, 4, 0, 6}
 * }
 * }</pre>
 */
public sealed interface Backend permits CheckedCore {
    // ---- identity and lifecycle -------------------------------------------------------------------

    /** Short name used for selection ("cpu", "cuda"). */
    String name();

    /** Higher ranks are preferred when several backends are available. */
    int rank();

    /** Whether this backend can run here. Never throws. */
    boolean isAvailable();

    /** Why {@link #isAvailable()} is false; {@code null} when available. */
    String unavailableReason();

    Device device();

    /** Human-readable facts (library versions, CPU features, kernel core in use). */
    String describe();

    /** Threads used by kernels (and by the BLAS library) on this backend. */
    int threads();

    void setThreads(int threads);

    /** Waits for queued work to finish (a no-op on synchronous backends). */
    void synchronize();

    MemoryStats memoryStats();

    // ---- memory -----------------------------------------------------------------------------------

    /** Allocates {@code length} elements (uninitialised). */
    Buffer allocate(DType dtype, long length);

    void copyIn(float[] src, int srcOffset, Buffer dst, long dstOffset, int count);
    void copyIn(double[] src, int srcOffset, Buffer dst, long dstOffset, int count);
    void copyIn(int[] src, int srcOffset, Buffer dst, long dstOffset, int count);
    void copyIn(long[] src, int srcOffset, Buffer dst, long dstOffset, int count);

    void copyOut(Buffer src, long srcOffset, float[] dst, int dstOffset, int count);
    void copyOut(Buffer src, long srcOffset, double[] dst, int dstOffset, int count);
    void copyOut(Buffer src, long srcOffset, int[] dst, int dstOffset, int count);
    void copyOut(Buffer src, long srcOffset, long[] dst, int dstOffset, int count);

    /**
     * Strided copy of equal shapes, converting between dtypes when they differ (F32, F64, I32, I64).
     * Makes views contiguous, writes into slices (concat) and casts.
     */
    void copy(BufferView src, BufferView dst);

    // ---- elementwise ------------------------------------------------------------------------------

    /**
     * Runs a fused elementwise program. Every input layout must already have the output's shape
     * (broadcast inputs carry stride 0). All operands share one floating dtype.
     */
    void elementwise(ElementwiseProgram program, BufferView[] inputs, BufferView out);

    // ---- GEMM -------------------------------------------------------------------------------------

    /**
     * Batched, strided {@code C = epilogue(alpha * op(A) op(B) + beta * C)} with {@code op(A)} m x k,
     * {@code op(B)} k x n, C m x n, all row-major, F32 or F64.
     */
    void gemm(boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a, MatrixRef b,
              double beta, MatrixRef c, long batch, Epilogue epilogue);

    /**
     * {@link #gemm} on F32 operands with {@code op(A)} and {@code op(B)} rounded to {@code precision}
     * ({@link DType#BF16} or {@link DType#F16}, round to nearest even) before the products, which are summed
     * in F32: the matrix product of mixed-precision training. A product of two such values is exact in F32,
     * so the result is an F32 GEMM of the rounded operands up to summation order; backends run it on their
     * BF16/F16 units where they have them (tensor cores, {@code vdpbf16ps}) and emulate it otherwise.
     *
     * <pre>{@code
     * be.gemmRounded(DType.BF16, false, true, batch, out, in, 1, MatrixRef.of(x, in), MatrixRef.of(w, in),
     *                0, MatrixRef.of(y, out), 1, Epilogue.of(bias, Activation.RELU));
     * }</pre>
     */
    void gemmRounded(DType precision, boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a,
                     MatrixRef b, double beta, MatrixRef c, long batch, Epilogue epilogue);

    /**
     * Packs the constant row-major F32 matrix {@code b} ({@code rows x cols}, contiguous) once for
     * {@link #gemmPacked}. The default keeps a contiguous copy; a backend with its own GEMM kernel stores
     * its preferred panel layout.
     */
    PackedMatrix packMatrix(Buffer b, long rows, long cols);

    /**
     * {@code C = epilogue(A B)} for F32 {@code A} ({@code m x b.rows()}, row-major with its ld) and a
     * matrix packed by this backend's {@link #packMatrix}: the frozen model's linear layer.
     */
    void gemmPacked(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epilogue);

    /**
     * Packs a constant int8 matrix once for {@link #gemmInt8Packed}: {@code weights} holds the
     * {@code rows x cols} (k x n, i.e. [in, out]) values as I32, each in [-127, 127] (symmetric), and
     * {@code scales} the F32 scale of each column (output channel), so that column j stands for
     * {@code weights[:, j] * scales[j]}. Backends without an int8 kernel throw an {@link EngineException}.
     *
     * <pre>{@code
     * try (PackedMatrix wq = be.packMatrixInt8(q, scales, in, out)) {
     *     be.gemmInt8Packed(batch, MatrixRef.of(x, in), InputQuantization.dynamic(), wq, MatrixRef.of(y, out), Epilogue.NONE);
     * }
     * }</pre>
     */
    PackedMatrix packMatrixInt8(Buffer weights, Buffer scales, long rows, long cols);

    /**
     * {@code C = epilogue(dequant(quant(A) B))} for F32 {@code A} ({@code m x b.rows()}) quantised to uint8 as
     * {@code aq} says, and a matrix made by this backend's {@link #packMatrixInt8}: int32 sums of uint8 x int8
     * products, then {@code (sum - zeroPoint * columnSum) * aScale * scale[j]} in F32, then bias, residual and
     * activation. A row of A holding a NaN or an infinity gives a row of NaN.
     */
    void gemmInt8Packed(long m, MatrixRef a, InputQuantization aq, PackedMatrix b, MatrixRef c, Epilogue epilogue);

    /**
     * Packs the constant row-major F32 matrix {@code b} ({@code rows x cols}, contiguous, k x n, i.e. [in, out])
     * once for {@link #gemmBf16Packed}: each value rounded to bfloat16 (round to nearest even), stored in the
     * backend's BF16 layout. Backends without a BF16 kernel throw an {@link EngineException}.
     *
     * <pre>{@code
     * try (PackedMatrix wb = be.packMatrixBf16(weightT, in, out)) {
     *     be.gemmBf16Packed(batch, MatrixRef.of(x, in), wb, MatrixRef.of(y, out), Epilogue.of(bias, Activation.RELU));
     * }
     * }</pre>
     */
    PackedMatrix packMatrixBf16(Buffer b, long rows, long cols);

    /**
     * {@code C = epilogue(bf16(A) B)} for F32 {@code A} ({@code m x b.rows()}), rounded to bfloat16 on the fly,
     * and a matrix made by this backend's {@link #packMatrixBf16}: products of bf16 values summed in F32, then
     * bias, residual and activation in F32. A row's result does not depend on the batch or the thread count.
     */
    void gemmBf16Packed(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epilogue);

    // ---- reductions and normalisation -------------------------------------------------------------

    /**
     * Reduces {@code x} over {@code axes}; {@code out} is contiguous with the kept axes' shape (I64 for
     * ARGMAX/ARGMIN, otherwise x's dtype). ARGMAX/ARGMIN take exactly one axis.
     */
    void reduce(ReduceOp op, BufferView x, int[] axes, Buffer out);

    /** Softmax (or log-softmax) over the last axis of a contiguous {@code rows x cols} matrix. */
    void softmax(Buffer x, Buffer out, long rows, long cols, boolean log);

    /**
     * Fused scaled dot-product attention, {@code out = softmax(scale * q k^T + mask) v} for every (batch, head),
     * without materialising the scores: {@code q} [B, H, Lq, Dk], {@code k} [B, H, Lk, Dk], {@code v} [B, H, Lk, Dv]
     * and {@code out} [B, H, Lq, Dv] are strided views with unit stride along their last axis, so the heads of a
     * packed [B, L, 3E] projection are read in place and the output is written as [B, Lq, H, Dv]. With
     * {@code causal} a query i sees keys j <= i; {@code keyPadding} (null, or B x Lk values of q's dtype) hides
     * key j of batch b where it is non-zero. A query that sees no key gets zeros; a NaN score gives NaN.
     *
     * <pre>{@code
     * // qkv: [B, L, 3E] contiguous, heads of D = E / H; out: [B, L, E]
     * Layout head = new Layout(new long[]{B, H, L, D}, new long[]{L * 3 * E, D, 3 * E, 1}, 0);
     * be.attention(new BufferView(qkv, head), new BufferView(qkv, head.withOffset(E)), new BufferView(qkv, head.withOffset(2 * E)),
     *         null, true, 1 / Math.sqrt(D), new BufferView(out, new Layout(new long[]{B, H, L, D}, new long[]{L * E, D, E, 1}, 0)));
     * }</pre>
     */
    void attention(BufferView q, BufferView k, BufferView v, Buffer keyPadding, boolean causal, double scale, BufferView out);

    /** Gradient of softmax/log-softmax given its output {@code y} and upstream {@code gy}. */
    void softmaxBackward(Buffer y, Buffer gy, Buffer gx, long rows, long cols, boolean log);

    /**
     * Fused cross-entropy from logits: per-row loss, per-row weight (0 for ignored rows) and, when
     * {@code gradLogits} is not null, the gradient of each row's loss (not yet scaled by a reduction).
     * {@code targets} is I64; {@code classWeights} may be null.
     */
    void crossEntropy(Buffer logits, Buffer targets, Buffer classWeights, long rows, long cols, double labelSmoothing,
                      long ignoreIndex, Buffer lossPerRow, Buffer rowWeight, Buffer gradLogits);

    /** Layer norm over the last {@code cols} of each row; gamma/beta may be null. Saves mean and 1/std. */
    void layerNormForward(Buffer x, Buffer gamma, Buffer beta, long rows, long cols, double eps, Buffer y, Buffer mean, Buffer rstd);

    /** Layer-norm gradients; {@code gGamma}/{@code gBeta} may be null (and are overwritten, not accumulated). */
    void layerNormBackward(Buffer x, Buffer gy, Buffer gamma, Buffer mean, Buffer rstd, long rows, long cols,
                           Buffer gx, Buffer gGamma, Buffer gBeta);

    /**
     * Batch norm over a contiguous {@code n x c x hw} tensor. In training it normalises with batch
     * statistics, saves them and updates the running stats (unbiased variance, {@code momentum} as in
     * PyTorch); in eval it uses the running stats. gamma/beta/running buffers may be null.
     */
    void batchNormForward(Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, long n, long c, long hw,
                          boolean training, double momentum, double eps, Buffer y, Buffer saveMean, Buffer saveRstd);

    /** Training-mode batch-norm gradients; {@code gGamma}/{@code gBeta} may be null. */
    void batchNormBackward(Buffer x, Buffer gy, Buffer gamma, Buffer saveMean, Buffer saveRstd, long n, long c, long hw,
                           Buffer gx, Buffer gGamma, Buffer gBeta);

    // ---- convolution and pooling ------------------------------------------------------------------

    /** NCHW convolution with KCRS weights, optional bias and epilogue activation. */
    void conv2dForward(Conv2dShape g, Buffer x, Buffer weight, Buffer bias, Activation activation, Buffer y);

    /**
     * A constant F32 convolution weight (KCRS: {@code k} filters of {@code cols = C/groups * R * S} values,
     * in {@code groups} groups) stored once in the layout this backend's {@link #conv2dForwardPacked} reads
     * fastest: a frozen model's convolution. The default keeps a contiguous copy
     * ({@link PackedMatrix#ROW_MAJOR}); the CPU backend's follows it, for a multiple of 16 filters, with the
     * filters 16 to a vector tap by tap, as its fused convolution + max pool kernel reads them.
     *
     * <pre>{@code
     * try (PackedMatrix w = be.packConvWeight(weight, g.k(), g.c() / g.groups() * g.r() * g.s(), g.groups())) {
     *     be.conv2dForwardPacked(g, x, w, bias, Activation.RELU, y);
     * }
     * }</pre>
     */
    PackedMatrix packConvWeight(Buffer weight, long k, long cols, int groups);

    /**
     * {@link #conv2dForward} with a weight made by this backend's {@link #packConvWeight} for the same
     * geometry (its filter count and filter size must match {@code g}).
     */
    void conv2dForwardPacked(Conv2dShape g, Buffer x, PackedMatrix weight, Buffer bias, Activation activation, Buffer y);

    /**
     * Whether {@link #conv2dMaxPoolForwardPacked} has a fused kernel for this chain: a convolution, its
     * activation, then {@code pool} over its output. A frozen plan fuses a convolution with the max pool that
     * alone reads it only where this says so. The default: no fused kernel.
     */
    default boolean fusesConvMaxPool(Conv2dShape g, Activation activation, Pool2dShape pool) { return false; }

    /**
     * {@link #conv2dForwardPacked} followed by a max pool of its output ({@code pool} takes the convolution's
     * output shape) in one call, {@code y} holding only the pooled values: the activation at full resolution
     * never reaches memory. Only for chains {@link #fusesConvMaxPool} accepts; others throw an
     * {@link EngineException}. Same values as the two calls.
     *
     * <pre>{@code
     * var pool = new Pool2dShape(g.n(), g.k(), g.outH(), g.outW(), 2, 2, 2, 2, 0, 0, true);
     * if (be.fusesConvMaxPool(g, Activation.RELU, pool)) be.conv2dMaxPoolForwardPacked(g, x, w, bias, Activation.RELU, pool, y);
     * }</pre>
     */
    void conv2dMaxPoolForwardPacked(Conv2dShape g, Buffer x, PackedMatrix weight, Buffer bias, Activation activation, Pool2dShape pool, Buffer y);

    /**
     * An int8 convolution (groups 1): {@code x} (F32) quantised to uint8 as {@code aq} says, the weight a
     * {@code [C*R*S, K]} matrix made by {@link #packMatrixInt8} (each filter's C*R*S values in KCRS order as
     * one column, symmetric int8 with one scale per filter), int32 sums dequantised in F32, then bias and
     * activation. An image holding a NaN or an infinity gives NaN outputs. Backends without an int8 kernel
     * throw an {@link EngineException}.
     *
     * <pre>{@code
     * try (PackedMatrix w = be.packMatrixInt8(filtersAsColumns, scales, (long) c * r * s, k)) {
     *     be.conv2dForwardInt8Packed(g, x, InputQuantization.dynamic(), w, bias, Activation.RELU, y);
     * }
     * }</pre>
     */
    void conv2dForwardInt8Packed(Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix weight, Buffer bias, Activation activation, Buffer y);

    /**
     * Whether {@link #conv2dMaxPoolForwardInt8Packed} has a fused kernel for this chain: an int8 convolution,
     * its activation, then {@code pool} over its output. A frozen int8 plan fuses a convolution with the max
     * pool that alone reads it only where this says so. The default: no fused kernel.
     */
    default boolean fusesConvMaxPoolInt8(Conv2dShape g, Activation activation, Pool2dShape pool) { return false; }

    /**
     * {@link #conv2dForwardInt8Packed} followed by a max pool of its output ({@code pool} takes the
     * convolution's output shape) in one call, {@code y} holding only the pooled values. Only for chains
     * {@link #fusesConvMaxPoolInt8} accepts; others throw an {@link EngineException}. Same values as the two
     * calls.
     *
     * <pre>{@code
     * var pool = new Pool2dShape(g.n(), g.k(), g.outH(), g.outW(), 2, 2, 2, 2, 0, 0, true);
     * if (be.fusesConvMaxPoolInt8(g, Activation.RELU, pool))
     *     be.conv2dMaxPoolForwardInt8Packed(g, x, InputQuantization.dynamic(), w, bias, Activation.RELU, pool, y);
     * }</pre>
     */
    void conv2dMaxPoolForwardInt8Packed(Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix weight, Buffer bias, Activation activation,
                                        Pool2dShape pool, Buffer y);

    /** Gradient of the input. */
    void conv2dBackwardInput(Conv2dShape g, Buffer gy, Buffer weight, Buffer gx);

    /** Gradients of the weight and (when not null) the bias; overwritten. */
    void conv2dBackwardWeight(Conv2dShape g, Buffer x, Buffer gy, Buffer gWeight, Buffer gBias);

    /**
     * Max pooling; {@code indices} (I64) receives each output's flat input position within its plane, for
     * {@link #maxPool2dBackward}. Pass {@code null} when no backward pass follows (inference): only the
     * values are computed, which is faster. A NaN in a window makes that output NaN either way.
     */
    void maxPool2dForward(Pool2dShape g, Buffer x, Buffer y, Buffer indices);

    void maxPool2dBackward(Pool2dShape g, Buffer gy, Buffer indices, Buffer gx);

    void avgPool2dForward(Pool2dShape g, Buffer x, Buffer y);

    void avgPool2dBackward(Pool2dShape g, Buffer gy, Buffer gx);

    /** Adaptive average pooling of {@code n*c} planes from h x w to oh x ow (PyTorch's windows). */
    void adaptiveAvgPool2dForward(Buffer x, Buffer y, long nc, long h, long w, long oh, long ow);

    void adaptiveAvgPool2dBackward(Buffer gy, Buffer gx, long nc, long h, long w, long oh, long ow);

    // ---- indexing ---------------------------------------------------------------------------------

    /** {@code dst[i, :] = src[indices[i], :]} for rows of {@code rowLength}; indices I64, checked. */
    void gatherRows(Buffer src, long srcRows, long rowLength, Buffer indices, long count, Buffer dst);

    /** {@code dst[indices[i], :] += src[i, :]}; indices I64, checked. */
    void scatterAddRows(Buffer src, Buffer indices, long count, long rowLength, Buffer dst, long dstRows);

    // ---- randomness -------------------------------------------------------------------------------

    /**
     * Dropout mask from the Philox4x32-10 counter-based generator: element {@code i} is
     * {@code 1/(1-p)} when uniform({@code seed}, {@code offset + i}) >= p, else 0. Every backend yields
     * the same mask for the same seed and offset.
     */
    void dropoutMask(long seed, long offset, double p, Buffer mask, long count);

    // ---- fused optimizer updates ------------------------------------------------------------------

    /** One SGD step over many tensors in one call; {@code momentum} entries may be null when momentum is 0. */
    void sgdStep(Buffer[] params, Buffer[] grads, Buffer[] momentum, OptimizerHyperparams.Sgd hp);

    /** One Adam/AdamW step over many tensors in one call. */
    void adamStep(Buffer[] params, Buffer[] grads, Buffer[] m, Buffer[] v, OptimizerHyperparams.Adam hp);

    /** One RMSProp step over many tensors; {@code momentum} entries may be null when momentum is 0. */
    void rmspropStep(Buffer[] params, Buffer[] grads, Buffer[] squareAvg, Buffer[] momentum, OptimizerHyperparams.RmsProp hp);

    // ---- recorded calls ---------------------------------------------------------------------------

    /**
     * Records one host-to-host call, to be replayed by {@link RecordedCall#run}: {@code inputCount} floats
     * from a Java array into {@code input}, then everything {@code work} queues on this backend, then
     * {@code outputCount} floats from {@code output} into a Java array. A frozen model records its forward
     * pass this way after its first call. The default ({@link RecordedCall#plain}) records nothing and
     * makes the ordinary calls on every run; the CUDA backend captures the copies and the kernels into one
     * CUDA graph over preallocated pinned host memory (there {@code work} runs once now, in capture mode,
     * and must only queue device work). Throws an {@link EngineException} saying why when it cannot record;
     * the caller then keeps making the ordinary calls.
     *
     * <pre>{@code
     * try (RecordedCall call = be.recordCall(x, 784, y, 10, forward)) {
     *     for (float[] row : rows) call.run(row, 0, logits, 0);
     * }
     * }</pre>
     */
    default RecordedCall recordCall(Buffer input, int inputCount, Buffer output, int outputCount, Runnable work) {
        return RecordedCall.plain(this, input, inputCount, output, outputCount, work);
    }
}
