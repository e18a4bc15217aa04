package dev.engine.api;

import static dev.engine.api.KernelChecks.buffer;
import static dev.engine.api.KernelChecks.floating;
import static dev.engine.api.KernelChecks.product;

import java.util.Arrays;

/**
 * The second part of {@link CheckedBackend}'s argument checks: GEMMs (plain, packed, int8, bf16), reductions,
 * softmax, attention, cross-entropy and normalisation. Backends extend {@link CheckedBackend}.
 */
public abstract sealed class CheckedMath extends CheckedCore permits CheckedBackend {
    CheckedMath() {}

    // ---- GEMM -------------------------------------------------------------------------------------

    /** A GEMM operand as {@link KernelChecks#matrix}, with a leading dimension the kernels index in 32 bits. */
    private void matrix(String op, String what, MatrixRef r, long rows, long cols, long batch, DType dt) {
        KernelChecks.matrix(op, what, this, r, rows, cols, batch, dt);
        if (r.ld() > INT_LIMIT)
            throw new ShapeException(op + ": " + what + " leading dimension " + r.ld() + " exceeds the kernels' 32-bit limit");
    }

    /** An output batch must not write one matrix twice: its batch stride must step past a whole matrix. */
    private static void distinctBatches(String op, MatrixRef c, long m, long n, long batch) {
        if (batch > 1 && m > 0 && n > 0 && c.batchStride() < (m - 1) * c.ld() + n)
            throw new ShapeException(op + ": C batch stride " + c.batchStride() + " overlaps its " + m + " x " + n
                    + " matrices (ld " + c.ld() + "); outputs must not overlap");
    }

    @Override public final void gemm(boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a, MatrixRef b,
                                     double beta, MatrixRef c, long batch, Epilogue epilogue) {
        Epilogue epi = checkGemm("gemm", transA, transB, m, n, k, a, b, c, batch, epilogue);
        if (epi != null && epi.biasGradient() != null) gemmBiasGradientUnchecked(transA, transB, m, n, k, alpha, a, b, beta, c, epi.biasGradient());
        else if (epi != null) gemmUnchecked(transA, transB, m, n, k, alpha, a, b, beta, c, batch, epi);
    }

    /**
     * Checked as {@link #gemm} with {@link Epilogue#biasGradient}: batch 1, m > 0 (n may be 0), out of length m in
     * C's dtype. The default runs the product, then sums op(A)'s rows with {@link #reduceUnchecked}.
     */
    protected void gemmBiasGradientUnchecked(boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a, MatrixRef b,
                                             double beta, MatrixRef c, Buffer out) {
        if (n > 0) gemmUnchecked(transA, transB, m, n, k, alpha, a, b, beta, c, 1, Epilogue.NONE);
        rowSumsUnchecked(transA, m, k, a, out);
    }

    /** out[i] = sum over j of op(A)[i][j] for the m x k matrix op(A). */
    private void rowSumsUnchecked(boolean transA, long m, long k, MatrixRef a, Buffer out) {
        long[] strides = transA ? new long[]{1, a.ld()} : new long[]{a.ld(), 1};
        Layout l = new Layout(new long[]{m, k}, strides, a.offset());
        reduceUnchecked(ReduceOp.SUM, new BufferView(a.buffer(), l), KernelChecks.reductionAxes("gemm", l, ReduceOp.SUM, new int[]{1}), out);
    }

    @Override public final void gemmRounded(DType precision, boolean transA, boolean transB, long m, long n, long k, double alpha,
                                            MatrixRef a, MatrixRef b, double beta, MatrixRef c, long batch, Epilogue epilogue) {
        String op = "gemmRounded";
        if (precision != DType.BF16 && precision != DType.F16)
            throw new DTypeException(op + ": operands round to BF16 or F16, not " + precision);
        if (c != null && c.buffer() != null && c.buffer().dtype() != DType.F32)
            throw new DTypeException(op + ": operands and C must be F32, got C " + c.buffer().dtype());
        Epilogue epi = checkGemm(op, transA, transB, m, n, k, a, b, c, batch, epilogue);
        if (epi == null) return;
        if (epi.biasGradient() == null) gemmRoundedUnchecked(precision, transA, transB, m, n, k, alpha, a, b, beta, c, batch, epi);
        else {  // rounded copies have no fused path: the product, then the sums of the unrounded A
            if (n > 0) gemmRoundedUnchecked(precision, transA, transB, m, n, k, alpha, a, b, beta, c, 1, Epilogue.NONE);
            rowSumsUnchecked(transA, m, k, a, epi.biasGradient());
        }
    }

    /**
     * Checked as {@link #gemm}, F32, precision BF16 or F16. The default emulates the rounding: the F32 GEMM of
     * rounded copies ({@link #withRoundedOperands}).
     */
    protected void gemmRoundedUnchecked(DType precision, boolean transA, boolean transB, long m, long n, long k, double alpha,
                                        MatrixRef a, MatrixRef b, double beta, MatrixRef c, long batch, Epilogue epilogue) {
        withRoundedOperands(precision, transA, transB, m, n, k, a, b, batch,
                (ra, rb) -> gemmUnchecked(transA, transB, m, n, k, alpha, ra, rb, beta, c, batch, epilogue));
    }

    /**
     * Runs {@code product} on contiguous copies of A's and B's matrices (one when a batch stride is 0) with every
     * value rounded to {@code precision} ({@link ElementwiseOp#ROUND_BF16} / {@link ElementwiseOp#ROUND_F16}),
     * transposes kept; the copies are freed after it. Products of such values are exact in F32, so any F32 GEMM
     * of the copies, or one on BF16/F16 units that take them exactly, computes {@link #gemmRounded}.
     */
    protected final void withRoundedOperands(DType precision, boolean transA, boolean transB, long m, long n, long k, MatrixRef a,
                                             MatrixRef b, long batch, java.util.function.BiConsumer<MatrixRef, MatrixRef> product) {
        ElementwiseOp round = precision == DType.BF16 ? ElementwiseOp.ROUND_BF16 : ElementwiseOp.ROUND_F16;
        long aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
        try (Buffer ra = roundedCopy(round, a, aRows, aCols, batch); Buffer rb = roundedCopy(round, b, bRows, bCols, batch)) {
            product.accept(rounded(ra, a, aRows, aCols), rounded(rb, b, bRows, bCols));
        }
    }

    /** A contiguous copy of the batch of rows x cols matrices at r (one when r's batch stride is 0), rounded in place. */
    private Buffer roundedCopy(ElementwiseOp round, MatrixRef r, long rows, long cols, long batch) {
        long count = r.batchStride() == 0 ? 1 : batch;
        long[] shape = {count, rows, cols};
        Buffer copy = allocateUnchecked(DType.F32, count * rows * cols);
        if (copy.length() == 0) return copy;
        BufferView dst = BufferView.of(copy, shape);
        copyUnchecked(new BufferView(r.buffer(), new Layout(shape, new long[]{r.batchStride(), r.ld(), 1}, r.offset())), dst);
        elementwiseUnchecked(ElementwiseProgram.single(round, 0), new BufferView[]{dst}, dst);
        return copy;
    }

    private static MatrixRef rounded(Buffer copy, MatrixRef original, long rows, long cols) {
        return new MatrixRef(copy, 0, Math.max(1, cols), original.batchStride() == 0 ? 0 : rows * cols);
    }

    /** The checks {@link #gemm} and {@link #gemmRounded} share; null when there is nothing to compute. */
    private Epilogue checkGemm(String op, boolean transA, boolean transB, long m, long n, long k, MatrixRef a, MatrixRef b, MatrixRef c,
                               long batch, Epilogue epilogue) {
        ready();
        for (long v : new long[]{m, n, k, batch})
            if (v < 0 || v > INT_LIMIT) throw new ShapeException(op + ": size " + v + " out of range in m=" + m + " n=" + n + " k=" + k + " batch=" + batch);
        if (c == null) throw new EngineException(op + ": C is null");
        DType dt = c.buffer().dtype();
        floating(op, "C", dt);
        matrix(op, "A", a, transA ? k : m, transA ? m : k, batch, dt);
        matrix(op, "B", b, transB ? n : k, transB ? k : n, batch, dt);
        matrix(op, "C", c, m, n, batch, dt);
        distinctBatches(op, c, m, n, batch);
        Epilogue epi = epilogue == null ? Epilogue.NONE : epilogue;
        if (epi.bias() != null) buffer(op, "bias", this, epi.bias(), n, dt);
        if (epi.residual() != null) matrix(op, "residual", epi.residual(), m, n, batch, dt);
        if (epi.biasGradient() != null) {
            checkBiasGradient(op, epi, m, batch, dt);
            return m == 0 ? null : epi;  // the row sums are owed even when C is empty (n = 0)
        }
        return m == 0 || n == 0 || batch == 0 ? null : epi;
    }

    /** The bias-gradient epilogue: batch 1, nothing else in the epilogue, out of length m in C's dtype. */
    private void checkBiasGradient(String op, Epilogue epi, long m, long batch, DType dt) {
        if (batch != 1) throw new ShapeException(op + ": the bias-gradient epilogue takes batch 1, got batch " + batch);
        if (epi.bias() != null || epi.residual() != null || epi.activation() != Activation.NONE)
            throw new EngineException(op + ": the bias-gradient epilogue combines with no bias, residual or activation");
        buffer(op, "bias gradient", this, epi.biasGradient(), m, dt);
    }

    /** m, n, batch > 0 (k may be 0: C = beta C); every operand inside its buffer; epilogue not null. */
    protected abstract void gemmUnchecked(boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a, MatrixRef b,
                                          double beta, MatrixRef c, long batch, Epilogue epilogue);

    @Override public final PackedMatrix packMatrix(Buffer b, long rows, long cols) {
        ready();
        String op = "packMatrix";
        packSize(op, rows, cols);
        buffer(op, "B", this, b, product(op, rows, cols), DType.F32);
        return packMatrixUnchecked(b, rows, cols);
    }

    /** The size check every packing call starts with: both dimensions in [0, INT_LIMIT]. */
    private static void packSize(String op, long rows, long cols) {
        for (long v : new long[]{rows, cols})
            if (v < 0 || v > INT_LIMIT) throw new ShapeException(op + ": size " + v + " out of range in " + rows + " x " + cols);
    }

    /** Packs a contiguous F32 rows x cols matrix in {@link #packedMatrixFormat()}; the default keeps a row-major copy. */
    protected PackedMatrix packMatrixUnchecked(Buffer b, long rows, long cols) {
        return rowMajorCopy(b, rows, cols);
    }

    /** The format {@link #packMatrixUnchecked} writes; {@link #gemmPacked} refuses any other. */
    protected String packedMatrixFormat() { return PackedMatrix.ROW_MAJOR; }

    /** Elements a packed rows x cols matrix occupies in {@link #packedMatrixFormat()}. */
    protected long packedMatrixLength(long rows, long cols) { return rows * cols; }

    /** A contiguous F32 copy of a rows x cols matrix: the default "packed" form. */
    protected final PackedMatrix rowMajorCopy(Buffer b, long rows, long cols) {
        long n = rows * cols;
        Buffer copy = allocate(DType.F32, Math.max(1, n));
        try {
            if (n > 0) copy(BufferView.of(b, rows, cols), BufferView.of(copy, rows, cols));
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
        return new PackedMatrix(copy, rows, cols, PackedMatrix.ROW_MAJOR);
    }

    @Override public final void gemmPacked(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epilogue) {
        ready();
        Epilogue epi = checkPacked("gemmPacked", m, a, b, packedMatrixFormat(), this::packedMatrixLength, DType.F32, c, epilogue);
        if (epi != null) gemmPackedUnchecked(m, a, b, c, epi);
    }

    /** The checks both packed products share: m, the packed buffer, A, C and the epilogue; returns the epilogue. */
    /** B present and packed in {@code format}, then {@link #checkPackedProduct}; null when there is nothing to compute. */
    private Epilogue checkPacked(String op, long m, MatrixRef a, PackedMatrix b, String format, java.util.function.LongBinaryOperator length,
                                 DType packedDtype, MatrixRef c, Epilogue epilogue) {
        if (b == null) throw new EngineException(op + ": packed B is null");
        b.check(op, this, format);
        Epilogue epi = checkPackedProduct(op, m, a, b, length.applyAsLong(b.rows(), b.cols()), packedDtype, c, epilogue);
        return m == 0 || b.cols() == 0 ? null : epi;
    }

    private Epilogue checkPackedProduct(String op, long m, MatrixRef a, PackedMatrix b, long packedLength, DType packedDtype, MatrixRef c,
                                        Epilogue epilogue) {
        long k = b.rows(), n = b.cols();
        if (m < 0 || m > INT_LIMIT) throw new ShapeException(op + ": m = " + m + " out of range");
        buffer(op, "packed B", this, b.buffer(), packedLength, packedDtype);
        if (c == null) throw new EngineException(op + ": C is null");
        matrix(op, "A", a, m, k, 1, DType.F32);
        matrix(op, "C", c, m, n, 1, DType.F32);
        Epilogue epi = epilogue == null ? Epilogue.NONE : epilogue;
        if (epi.biasGradient() != null) throw new EngineException(op + ": the bias-gradient epilogue is for gemm and gemmRounded only");
        if (epi.bias() != null) buffer(op, "bias", this, epi.bias(), n, DType.F32);
        if (epi.residual() != null) matrix(op, "residual", epi.residual(), m, n, 1, DType.F32);
        return epi;
    }

    /** m, n > 0, b in this backend's format; the default runs {@link #gemmUnchecked} on the row-major copy. */
    protected void gemmPackedUnchecked(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epilogue) {
        gemmUnchecked(false, false, m, b.cols(), b.rows(), 1, a, MatrixRef.of(b.buffer(), Math.max(1, b.cols())), 0, c, 1, epilogue);
    }

    /** The longest inner dimension of an int8 GEMM: 255 * 127 * k must stay inside an int32 sum. */
    public static final long INT8_MAX_K = 1L << 16;

    @Override public final PackedMatrix packMatrixInt8(Buffer weights, Buffer scales, long rows, long cols) {
        ready();
        String op = "packMatrixInt8";
        packSize(op, rows, cols);
        if (rows > INT8_MAX_K) throw new ShapeException(op + ": " + rows + " rows (the inner dimension k) exceed the int8 limit " + INT8_MAX_K);
        buffer(op, "weights", this, weights, product(op, rows, cols), DType.I32);
        buffer(op, "scales", this, scales, cols, DType.F32);
        return packMatrixInt8Unchecked(weights, scales, rows, cols);
    }

    /**
     * Packs int8 weights in {@link #packedInt8Format()}; throws {@link #badInt8(long, long, long)}'s exception for a
     * value out of range. The default: this backend has no int8 kernel.
     */
    protected PackedMatrix packMatrixInt8Unchecked(Buffer weights, Buffer scales, long rows, long cols) {
        throw new EngineException("packMatrixInt8: the " + name() + " backend has no int8 GEMM kernel (run quantised models on the cpu backend)");
    }

    /** The format {@link #packMatrixInt8Unchecked} writes; {@link #gemmInt8Packed} refuses any other. */
    protected String packedInt8Format() { return "none"; }

    /** I32 elements a packed int8 rows x cols matrix occupies in {@link #packedInt8Format()}. */
    protected long packedInt8Length(long rows, long cols) { return 0; }

    /**
     * The exception for the first bad position a packer found: a weight (position row * cols + col) outside
     * [-127, 127], or a scale (position rows * cols + col) that is not positive and finite.
     */
    protected static EngineException badInt8(long position, long rows, long cols) {
        if (position < rows * cols)
            return new EngineException("packMatrixInt8: weight at row " + position / Math.max(1, cols) + ", column " + position % Math.max(1, cols)
                    + " is outside the symmetric int8 range [-127, 127]");
        return new EngineException("packMatrixInt8: scale of column " + (position - rows * cols) + " is not a positive finite number");
    }

    @Override public final void gemmInt8Packed(long m, MatrixRef a, InputQuantization aq, PackedMatrix b, MatrixRef c, Epilogue epilogue) {
        ready();
        String op = "gemmInt8Packed";
        if (b == null) throw new EngineException(op + ": packed B is null");
        if (aq == null) throw new EngineException(op + ": input quantization is null");
        b.check(op, this, packedInt8Format());
        Epilogue epi = checkPackedProduct(op, m, a, b, packedInt8Length(b.rows(), b.cols()), DType.I32, c, epilogue);
        if (m == 0 || b.cols() == 0) return;
        gemmInt8PackedUnchecked(m, a, aq, b, c, epi);
    }

    /** m, n > 0, b in {@link #packedInt8Format()}; only reached on a backend whose packer made b. */
    protected void gemmInt8PackedUnchecked(long m, MatrixRef a, InputQuantization aq, PackedMatrix b, MatrixRef c, Epilogue epilogue) {
        throw new EngineException("gemmInt8Packed: the " + name() + " backend has no int8 GEMM kernel");
    }

    @Override public final PackedMatrix packMatrixBf16(Buffer b, long rows, long cols) {
        ready();
        String op = "packMatrixBf16";
        packSize(op, rows, cols);
        buffer(op, "B", this, b, product(op, rows, cols), DType.F32);
        return packMatrixBf16Unchecked(b, rows, cols);
    }

    /** Rounds and packs a contiguous F32 rows x cols matrix in {@link #packedBf16Format()}. The default: no BF16 kernel. */
    protected PackedMatrix packMatrixBf16Unchecked(Buffer b, long rows, long cols) {
        throw new EngineException("packMatrixBf16: the " + name() + " backend has no BF16 GEMM kernel (run BF16 models on the cpu backend)");
    }

    /** The format {@link #packMatrixBf16Unchecked} writes; {@link #gemmBf16Packed} refuses any other. */
    protected String packedBf16Format() { return "none"; }

    /** I32 elements (pairs of bf16 values) a packed BF16 rows x cols matrix occupies in {@link #packedBf16Format()}. */
    protected long packedBf16Length(long rows, long cols) { return 0; }

    @Override public final void gemmBf16Packed(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epilogue) {
        ready();
        Epilogue epi = checkPacked("gemmBf16Packed", m, a, b, packedBf16Format(), this::packedBf16Length, DType.I32, c, epilogue);
        if (epi != null) gemmBf16PackedUnchecked(m, a, b, c, epi);
    }

    /** m, n > 0, b in {@link #packedBf16Format()}; only reached on a backend whose packer made b. */
    protected void gemmBf16PackedUnchecked(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epilogue) {
        throw new EngineException("gemmBf16Packed: the " + name() + " backend has no BF16 GEMM kernel");
    }

    // ---- reductions and normalisation -------------------------------------------------------------

    @Override public final void reduce(ReduceOp op, BufferView x, int[] axes, Buffer out) {
        ready();
        String name = "reduce." + op;
        storedView(name, "x", x);
        if (!x.dtype().isHalf()) floating(name, "x", x.dtype());
        KernelChecks.ReductionSplit split = KernelChecks.reductionAxes(name, x.layout(), op, axes);
        long outN = product(name, split.keptShape());
        buffer(name, "out", this, out, outN, op.producesIndices() ? DType.I64 : x.dtype());
        if (outN == 0) return;
        if (op.producesIndices() && product(name, split.reducedShape()) == 0) throw new ShapeException(name + ": cannot reduce an empty axis");
        if (!x.dtype().isHalf()) {
            reduceUnchecked(op, x, split, out);
            return;
        }
        // BF16 / F16: reduced in F32, the result rounded once (indices as they are)
        long xn = x.layout().numel();
        try (Buffer xf = allocateUnchecked(DType.F32, xn); Buffer of = op.producesIndices() ? null : allocateUnchecked(DType.F32, outN)) {
            BufferView xv = BufferView.of(xf, x.layout().shape());
            if (xn > 0) copyUnchecked(x, xv);
            reduceUnchecked(op, xv, KernelChecks.reductionAxes(name, xv.layout(), op, axes), of == null ? out : of);
            if (of != null) copyUnchecked(BufferView.of(of, outN), BufferView.of(out, outN));
        }
    }

    /** At least one output; the layout already split into kept and reduced axes. */
    protected abstract void reduceUnchecked(ReduceOp op, BufferView x, KernelChecks.ReductionSplit split, Buffer out);


    @Override public final void softmax(Buffer x, Buffer out, long rows, long cols, boolean log) {
        ready();
        String op = "softmax";
        long n = product(op, rows, cols);
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, n);
        buffer(op, "out", this, out, n, dt);
        if (n == 0) return;
        softmaxUnchecked(x, out, rows, cols, log);
    }

    protected abstract void softmaxUnchecked(Buffer x, Buffer out, long rows, long cols, boolean log);

    @Override public final void attention(BufferView q, BufferView k, BufferView v, Buffer keyPadding, boolean causal, double scale,
                                          BufferView out) {
        ready();
        String op = "attention";
        view(op, "q", q);
        view(op, "k", k);
        view(op, "v", v);
        view(op, "out", out);
        writable(op, "out", out);
        DType dt = q.dtype();
        floating(op, "q", dt);
        KernelChecks.sameDType(op, "q", dt, "k", k.dtype());
        KernelChecks.sameDType(op, "q", dt, "v", v.dtype());
        KernelChecks.sameDType(op, "q", dt, "out", out.dtype());
        long[] qs = q.layout().shape(), ks = k.layout().shape(), vs = v.layout().shape(), os = out.layout().shape();
        if (qs.length != 4 || ks.length != 4 || vs.length != 4 || os.length != 4)
            throw new ShapeException(op + ": q, k, v and out must be 4-D [batch, heads, seq, dim], got q " + Shapes.str(qs) + ", k " + Shapes.str(ks)
                    + ", v " + Shapes.str(vs) + ", out " + Shapes.str(os));
        if (ks[0] != qs[0] || ks[1] != qs[1] || ks[3] != qs[3] || vs[0] != qs[0] || vs[1] != qs[1] || vs[2] != ks[2])
            throw new ShapeException(op + ": q " + Shapes.str(qs) + ", k " + Shapes.str(ks) + " and v " + Shapes.str(vs)
                    + " must be [B, H, Lq, D], [B, H, Lk, D] and [B, H, Lk, Dv]");
        if (!Arrays.equals(os, new long[]{qs[0], qs[1], qs[2], vs[3]}))
            throw new ShapeException(op + ": out has shape " + Shapes.str(os) + ", expected " + Shapes.str(new long[]{qs[0], qs[1], qs[2], vs[3]}));
        for (long d : new long[]{qs[0], qs[1], qs[2], qs[3], ks[2], vs[3]})
            if (d > INT_LIMIT) throw new ShapeException(op + ": size " + d + " exceeds the kernels' 32-bit limit");
        String[] names = {"q", "k", "v", "out"};
        BufferView[] views = {q, k, v, out};
        for (int i = 0; i < 4; i++)
            if (views[i].layout().shape(3) > 1 && views[i].layout().stride(3) != 1)
                throw new ShapeException(op + ": " + names[i] + " " + views[i].layout() + " must have unit stride along its last axis");
        for (int i = 0; i < 3; i++)
            if (overlaps(views[i], out)) throw new ShapeException(op + ": out overlaps " + names[i] + "; the output must not alias an input");
        if (!Double.isFinite(scale)) throw new EngineException(op + ": scale " + scale + " must be finite");
        if (keyPadding != null) buffer(op, "keyPadding", this, keyPadding, product(op, qs[0], ks[2]), dt);
        if (out.layout().numel() == 0) return;
        attentionUnchecked(q, k, v, keyPadding, causal, scale, out);
    }

    /** Whether two views' element ranges share memory (same native bytes, whatever buffers or slices they go through). */
    private static boolean overlaps(BufferView a, BufferView b) {
        long[] sa = a.layout().span(), sb = b.layout().span();
        if (sa[1] < sa[0] || sb[1] < sb[0]) return false;
        long ea = a.dtype().byteSize(), eb = b.dtype().byteSize();
        long a0 = a.buffer().address() + sa[0] * ea, a1 = a.buffer().address() + (sa[1] + 1) * ea;
        long b0 = b.buffer().address() + sb[0] * eb, b1 = b.buffer().address() + (sb[1] + 1) * eb;
        return a0 < b1 && b0 < a1;
    }

    /**
     * Shapes, dtypes, strides and the key-padding buffer checked; out has at least one element and does not
     * overlap q, k or v. A backend without a fused kernel may call {@link #attentionByComposition}.
     */
    protected abstract void attentionUnchecked(BufferView q, BufferView k, BufferView v, Buffer keyPadding, boolean causal, double scale,
                                               BufferView out);

    /**
     * Attention from this backend's own GEMM, elementwise, softmax and copy kernels, one batch at a time through
     * contiguous scratch (for a backend without a fused kernel; slower, same results up to rounding). Masked
     * scores get a large negative number instead of -inf, so a query that sees no key ends up with uniform
     * weights, which a 0/1 row factor then turns into the documented zeros.
     */
    protected final void attentionByComposition(BufferView q, BufferView k, BufferView v, Buffer keyPadding, boolean causal, double scale,
                                                BufferView out) {
        ComposedAttention.run(this, q, k, v, keyPadding, causal, scale, out);
    }

    @Override public final void softmaxBackward(Buffer y, Buffer gy, Buffer gx, long rows, long cols, boolean log) {
        ready();
        String op = "softmaxBackward";
        long n = product(op, rows, cols);
        DType dt = dtypeOf(op, "y", y);
        floating(op, "y", dt);
        buffer(op, "y", this, y, n);
        buffer(op, "gy", this, gy, n, dt);
        buffer(op, "gx", this, gx, n, dt);
        if (n == 0) return;
        softmaxBackwardUnchecked(y, gy, gx, rows, cols, log);
    }

    protected abstract void softmaxBackwardUnchecked(Buffer y, Buffer gy, Buffer gx, long rows, long cols, boolean log);

    @Override public final void crossEntropy(Buffer logits, Buffer targets, Buffer classWeights, long rows, long cols, double labelSmoothing,
                                             long ignoreIndex, Buffer lossPerRow, Buffer rowWeight, Buffer gradLogits) {
        ready();
        String op = "crossEntropy";
        long n = product(op, rows, cols);
        DType dt = dtypeOf(op, "logits", logits);
        floating(op, "logits", dt);
        buffer(op, "logits", this, logits, n);
        buffer(op, "targets", this, targets, rows, DType.I64);
        optional(op, "class weights", classWeights, cols, dt);
        buffer(op, "lossPerRow", this, lossPerRow, rows, dt);
        buffer(op, "rowWeight", this, rowWeight, rows, dt);
        optional(op, "gradLogits", gradLogits, n, dt);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new EngineException(op + ": label smoothing " + labelSmoothing + " outside [0, 1]");
        if (rows == 0) return;
        if (cols == 0) throw new ShapeException(op + ": logits have 0 classes");
        long bad = crossEntropyUnchecked(logits, targets, classWeights, rows, cols, labelSmoothing, ignoreIndex, lossPerRow, rowWeight, gradLogits);
        if (bad >= 0) {
            long[] t = new long[1];
            copyOut(targets, bad, t, 0, 1);
            throw new IndexOutOfRangeException(op + ": target " + t[0] + " at row " + bad + " is outside [0, " + cols + ")");
        }
    }

    /** rows, cols > 0; returns the first row whose target is neither ignored nor in [0, cols), or -1. */
    protected abstract long crossEntropyUnchecked(Buffer logits, Buffer targets, Buffer classWeights, long rows, long cols, double labelSmoothing,
                                                  long ignoreIndex, Buffer lossPerRow, Buffer rowWeight, Buffer gradLogits);

    @Override public final void layerNormForward(Buffer x, Buffer gamma, Buffer beta, long rows, long cols, double eps, Buffer y, Buffer mean,
                                                 Buffer rstd) {
        ready();
        String op = "layerNorm";
        long n = product(op, rows, cols);
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, n);
        optional(op, "gamma", gamma, cols, dt);
        optional(op, "beta", beta, cols, dt);
        buffer(op, "y", this, y, n, dt);
        buffer(op, "mean", this, mean, rows, dt);
        buffer(op, "rstd", this, rstd, rows, dt);
        if (n == 0) return;
        layerNormForwardUnchecked(x, gamma, beta, rows, cols, eps, y, mean, rstd);
    }

    protected abstract void layerNormForwardUnchecked(Buffer x, Buffer gamma, Buffer beta, long rows, long cols, double eps, Buffer y,
                                                      Buffer mean, Buffer rstd);

    /** A normalisation gradient: x, gy, gx of {@code total}; two saved statistics of {@code stats}; gamma and its gradients of {@code features}. */
    private void normBackward(String op, Buffer x, Buffer gy, Buffer gamma, String meanName, Buffer mean, String rstdName, Buffer rstd,
                              long total, long stats, long features, Buffer gx, Buffer gGamma, Buffer gBeta) {
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, total);
        buffer(op, "gy", this, gy, total, dt);
        optional(op, "gamma", gamma, features, dt);
        buffer(op, meanName, this, mean, stats, dt);
        buffer(op, rstdName, this, rstd, stats, dt);
        buffer(op, "gx", this, gx, total, dt);
        optional(op, "gGamma", gGamma, features, dt);
        optional(op, "gBeta", gBeta, features, dt);
    }

    @Override public final void layerNormBackward(Buffer x, Buffer gy, Buffer gamma, Buffer mean, Buffer rstd, long rows, long cols,
                                                  Buffer gx, Buffer gGamma, Buffer gBeta) {
        ready();
        String op = "layerNormBackward";
        long n = product(op, rows, cols);
        normBackward(op, x, gy, gamma, "mean", mean, "rstd", rstd, n, rows, cols, gx, gGamma, gBeta);
        if (n == 0) return;
        layerNormBackwardUnchecked(x, gy, gamma, mean, rstd, rows, cols, gx, gGamma, gBeta);
    }

    protected abstract void layerNormBackwardUnchecked(Buffer x, Buffer gy, Buffer gamma, Buffer mean, Buffer rstd, long rows, long cols,
                                                       Buffer gx, Buffer gGamma, Buffer gBeta);

    @Override public final void batchNormForward(Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, long n, long c,
                                                 long hw, boolean training, double momentum, double eps, Buffer y, Buffer saveMean,
                                                 Buffer saveRstd) {
        ready();
        String op = "batchNorm";
        long total = product(op, n, c, hw);
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, total);
        optional(op, "gamma", gamma, c, dt);
        optional(op, "beta", beta, c, dt);
        optional(op, "running mean", runningMean, c, dt);
        optional(op, "running var", runningVar, c, dt);
        optional(op, "saveMean", saveMean, c, dt);
        optional(op, "saveRstd", saveRstd, c, dt);
        buffer(op, "y", this, y, total, dt);
        if (training && c > 0 && product(op, n, hw) < 2)
            throw new ShapeException(op + ": training batch norm needs more than one value per channel, got n=" + n + " x hw=" + hw);
        if (c == 0) return;
        batchNormForwardUnchecked(x, gamma, beta, runningMean, runningVar, n, c, hw, training, momentum, eps, y, saveMean, saveRstd);
    }

    /** c > 0 (n * hw may be 0 in eval mode). */
    protected abstract void batchNormForwardUnchecked(Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, long n,
                                                      long c, long hw, boolean training, double momentum, double eps, Buffer y,
                                                      Buffer saveMean, Buffer saveRstd);

    @Override public final void batchNormBackward(Buffer x, Buffer gy, Buffer gamma, Buffer saveMean, Buffer saveRstd, long n, long c, long hw,
                                                  Buffer gx, Buffer gGamma, Buffer gBeta) {
        ready();
        String op = "batchNormBackward";
        long total = product(op, n, c, hw);
        normBackward(op, x, gy, gamma, "saveMean", saveMean, "saveRstd", saveRstd, total, c, c, gx, gGamma, gBeta);
        if (c == 0) return;
        batchNormBackwardUnchecked(x, gy, gamma, saveMean, saveRstd, n, c, hw, gx, gGamma, gBeta);
    }

    /** c > 0. */
    protected abstract void batchNormBackwardUnchecked(Buffer x, Buffer gy, Buffer gamma, Buffer saveMean, Buffer saveRstd, long n, long c,
                                                       long hw, Buffer gx, Buffer gGamma, Buffer gBeta);

}
