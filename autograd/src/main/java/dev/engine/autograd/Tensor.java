package dev.engine.autograd;

import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.ClosedBufferException;
import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.Device;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.EngineException;
import dev.engine.api.Layout;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import java.util.Arrays;
import java.util.List;

/**
 * An n-dimensional array on a backend, with autograd. A tensor is a {@link Layout} over a shared,
 * reference-counted buffer, so views (reshape, transpose, slice, expand) never copy. Ops on tensors that
 * {@link #requiresGrad() require grad} record a graph; {@link #backward()} fills {@link #grad()} of the
 * leaves. Tensors created inside a {@link MemoryScope} are closed with it.
 *
 * <pre>{@code
 * Tensor w = Tensor.of(new float[]{1, 2, 3}, 3).requiresGrad(true);
 * Tensor x = Tensor.of(new float[]{4, 5, 6}, 3);
 * Tensor loss = w.mul(x).sum();
 * loss.backward();
 * float[] g = w.grad().toFloatArray();   // {4, 5, 6}
 * }</pre>
 */
public final class Tensor implements AutoCloseable {
    private final Storage storage;
    private final Layout layout;
    private boolean requiresGrad;
    private boolean retainGrad;
    private Tensor grad;
    private Node gradFn;
    private boolean closed;
    MemoryScope scope;

    Tensor(Storage storage, Layout layout) {
        this.storage = storage;
        this.layout = layout;
        MemoryScope.register(this);
    }

    // ---- creation ---------------------------------------------------------------------------------

    /** The backend new tensors go to unless one is given: the forced or best available one. */
    public static Backend defaultBackend() { return Backends.preferred(); }

    /** An uninitialised tensor. */
    public static Tensor empty(Backend backend, DType dtype, long... shape) {
        long n = Shapes.numel(shape);
        Buffer b = backend.allocate(dtype, n);
        return new Tensor(new Storage(b), Layout.contiguous(shape));
    }

    public static Tensor empty(DType dtype, long... shape) { return empty(defaultBackend(), dtype, shape); }

    /** F32 tensor from values (row-major) and a shape. */
    public static Tensor of(float[] data, long... shape) { return of(defaultBackend(), data, shape); }

    public static Tensor of(Backend backend, float[] data, long... shape) {
        checkCount(data.length, shape);
        Tensor t = empty(backend, DType.F32, shape);
        backend.copyIn(data, 0, t.storage.buffer, 0, data.length);
        return t;
    }

    /** F64 tensor from values and a shape. */
    public static Tensor of(double[] data, long... shape) { return of(defaultBackend(), data, shape); }

    public static Tensor of(Backend backend, double[] data, long... shape) {
        checkCount(data.length, shape);
        Tensor t = empty(backend, DType.F64, shape);
        backend.copyIn(data, 0, t.storage.buffer, 0, data.length);
        return t;
    }

    /** I64 tensor (indices, labels) from values and a shape. */
    public static Tensor ofLongs(long[] data, long... shape) { return ofLongs(defaultBackend(), data, shape); }

    public static Tensor ofLongs(Backend backend, long[] data, long... shape) {
        checkCount(data.length, shape);
        Tensor t = empty(backend, DType.I64, shape);
        backend.copyIn(data, 0, t.storage.buffer, 0, data.length);
        return t;
    }

    /** I32 tensor from values and a shape. */
    public static Tensor ofInts(int[] data, long... shape) {
        checkCount(data.length, shape);
        Backend be = defaultBackend();
        Tensor t = empty(be, DType.I32, shape);
        be.copyIn(data, 0, t.storage.buffer, 0, data.length);
        return t;
    }

    /** A 0-dimensional F32 tensor. */
    public static Tensor scalar(double value) { return full(DType.F32, value); }

    public static Tensor zeros(long... shape) { return full(DType.F32, 0, shape); }
    public static Tensor ones(long... shape) { return full(DType.F32, 1, shape); }

    public static Tensor zeros(DType dtype, long... shape) { return full(dtype, 0, shape); }
    public static Tensor ones(DType dtype, long... shape) { return full(dtype, 1, shape); }

    public static Tensor full(DType dtype, double value, long... shape) { return full(defaultBackend(), dtype, value, shape); }

    public static Tensor full(Backend backend, DType dtype, double value, long... shape) {
        Tensor t = empty(backend, dtype, shape);
        t.fillRaw(value);
        return t;
    }

    public static Tensor zerosLike(Tensor t) { return full(t.backend(), t.dtype(), 0, t.shape()); }
    public static Tensor onesLike(Tensor t) { return full(t.backend(), t.dtype(), 1, t.shape()); }
    public static Tensor fullLike(Tensor t, double v) { return full(t.backend(), t.dtype(), v, t.shape()); }

    /** {@code [start, start+step, ...)} below {@code end}, F32. */
    public static Tensor arange(double start, double end, double step) {
        if (step == 0 || Double.isNaN(start + end + step)) throw new EngineException("arange: step must be non-zero and bounds finite");
        long n = Math.max(0, (long) Math.ceil((end - start) / step));
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (start + i * step);
        return of(v, n);
    }

    public static Tensor arange(long end) { return arange(0, end, 1); }

    /** {@code count} evenly spaced values from start to end inclusive, F32. */
    public static Tensor linspace(double start, double end, int count) {
        if (count < 0) throw new ShapeException("linspace: negative count " + count);
        float[] v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (float) (count == 1 ? start : start + (end - start) * i / (count - 1));
        return of(v, count);
    }

    /** Standard normal samples from a seeded generator, F32. */
    public static Tensor randn(Generator g, long... shape) {
        float[] v = new float[Shapes.numelInt(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) g.nextGaussian();
        return of(v, shape);
    }

    /** Uniform samples in [lo, hi) from a seeded generator, F32. */
    public static Tensor uniform(Generator g, double lo, double hi, long... shape) {
        float[] v = new float[Shapes.numelInt(shape)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (lo + (hi - lo) * g.nextDouble());
        return of(v, shape);
    }

    public static Tensor rand(Generator g, long... shape) { return uniform(g, 0, 1, shape); }

    private static void checkCount(int length, long[] shape) {
        if (Shapes.numel(shape) != length)
            throw new ShapeException("tensor: " + length + " values do not fill shape " + Shapes.str(shape) + " (" + Shapes.numel(shape) + " elements)");
    }

    // ---- facts ------------------------------------------------------------------------------------

    public long[] shape() { return layout.shape(); }
    public long size(int axis) { return layout.shape(Shapes.axis("size", axis, layout.rank())); }
    public int dim() { return layout.rank(); }
    public long numel() { return layout.numel(); }
    public DType dtype() { return storage.buffer.dtype(); }
    public Backend backend() { return storage.buffer.backend(); }
    public Device device() { return storage.buffer.device(); }
    public Layout layout() { return layout; }
    public boolean isContiguous() { return layout.isContiguous(); }
    public boolean isClosed() { return closed; }

    /** The buffer and layout, for kernels. */
    public BufferView view() { checkOpen(); return new BufferView(storage.buffer, layout); }

    /** The underlying buffer (shared with views). */
    public Buffer buffer() { checkOpen(); return storage.buffer; }

    int version() { return storage.version(); }

    void checkOpen() {
        if (closed) throw new ClosedBufferException("tensor of shape " + Shapes.str(layout.shape()) + " was already closed");
    }

    /** A new tensor sharing this one's storage through another layout (no copy). */
    Tensor viewAs(Layout l) {
        checkOpen();
        return new Tensor(storage.retain(), l);
    }

    // ---- autograd ---------------------------------------------------------------------------------

    public boolean requiresGrad() { return requiresGrad; }

    /** Marks a leaf tensor as a trainable parameter (or not); returns this. */
    public Tensor requiresGrad(boolean flag) {
        if (gradFn != null && !flag) throw new EngineException("requiresGrad(false) on a non-leaf tensor; use detach()");
        if (flag && !dtype().isFloating()) throw new DTypeException("requiresGrad: only floating tensors can require grad, this one is " + dtype());
        requiresGrad = flag;
        return this;
    }

    /** The accumulated gradient, or null before the first backward. */
    public Tensor grad() { return grad; }

    public Node gradFn() { return gradFn; }

    public boolean isLeaf() { return gradFn == null; }

    /** Keep the gradient of this non-leaf tensor too. */
    public Tensor retainGrad() { retainGrad = true; return this; }

    boolean retainsGrad() { return retainGrad; }

    /** Back-propagates from this scalar. */
    public void backward() { Autograd.backward(this, null, false); }

    /** Back-propagates with an explicit upstream gradient of this tensor's shape. */
    public void backward(Tensor gradient) { Autograd.backward(this, gradient, false); }

    /** Back-propagates and, with {@code retainGraph}, keeps the saved tensors for another backward. */
    public void backward(Tensor gradient, boolean retainGraph) { Autograd.backward(this, gradient, retainGraph); }

    /** The same values, cut from the graph (shares storage). */
    public Tensor detach() { return viewAs(layout); }

    /** Drops the gradient's values (fills it with zeros, keeping its memory). */
    public void zeroGrad() { if (grad != null) grad.fillRaw(0); }

    /** Sets (or clears) the gradient, e.g. when loading optimizer state. */
    public void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape(), shape()))
            throw new ShapeException("setGrad: gradient shape " + Shapes.str(g.shape()) + " does not match " + Shapes.str(shape()));
        grad = g;
    }

    void accumulateGrad(Tensor g) {
        if (grad == null) {
            Tensor copy = Tensor.empty(backend(), dtype(), shape());
            MemoryScope.detach(copy);
            backend().copy(g.view(), copy.view());
            grad = copy;
        } else {
            grad.addInPlace(g);
        }
    }

    /** Attaches the node that produced this tensor when recording is on and an input requires grad. */
    Tensor recordedBy(Node node) {
        if (!GradMode.isEnabled()) return this;
        for (Tensor in : node.inputs) {
            if (in != null && in.requiresGrad) {
                gradFn = node;
                requiresGrad = true;
                Profiler prof = Profiler.current();
                if (prof != null) prof.forwardOp(node.name());
                return this;
            }
        }
        return this;
    }

    // ---- views ------------------------------------------------------------------------------------

    /** Same elements in a new shape; a view when possible, else a copy. One dim may be -1. */
    public Tensor reshape(long... newShape) { return ViewOps.reshape(this, newShape); }

    /** Alias of {@link #reshape}. */
    public Tensor view(long... newShape) { return reshape(newShape); }

    /** Collapses dims {@code start..end} (inclusive) into one. */
    public Tensor flatten(int start, int end) {
        int r = dim();
        if (r == 0) return reshape(1);
        int s = Shapes.axis("flatten", start, r), e = Shapes.axis("flatten", end, r);
        if (s > e) throw new ShapeException("flatten: start " + start + " after end " + end);
        long[] sh = shape();
        long[] out = new long[r - (e - s)];
        int k = 0;
        for (int i = 0; i < s; i++) out[k++] = sh[i];
        long p = 1;
        for (int i = s; i <= e; i++) p *= sh[i];
        out[k++] = p;
        for (int i = e + 1; i < r; i++) out[k++] = sh[i];
        return reshape(out);
    }

    public Tensor flatten() { return flatten(0, -1); }

    public Tensor permute(int... axes) { return ViewOps.permute(this, axes); }

    public Tensor transpose(int a, int b) {
        int[] p = new int[dim()];
        for (int i = 0; i < p.length; i++) p[i] = i;
        a = Shapes.axis("transpose", a, dim());
        b = Shapes.axis("transpose", b, dim());
        p[a] = b;
        p[b] = a;
        return permute(p);
    }

    /** Transpose of a 2-D tensor. */
    public Tensor t() {
        if (dim() != 2) throw new ShapeException("t: expects a 2-D tensor, got shape " + Shapes.str(shape()));
        return transpose(0, 1);
    }

    public Tensor narrow(int axis, long start, long length) { return ViewOps.narrow(this, axis, start, start + length, 1); }

    /** Elements {@code start, start+step, ...} below {@code end} along an axis. */
    public Tensor slice(int axis, long start, long end, long step) { return ViewOps.narrow(this, axis, start, end, step); }

    /** Index {@code i} along an axis, dropping that axis. */
    public Tensor select(int axis, long index) {
        int a = Shapes.axis("select", axis, dim());
        long n = layout.shape(a);
        long i = index < 0 ? index + n : index;
        if (i < 0 || i >= n) throw new dev.engine.api.IndexOutOfRangeException("select: index " + index + " outside dim " + a + " of size " + n);
        return narrow(a, i, 1).squeeze(a);
    }

    public Tensor squeeze(int axis) { return ViewOps.reshapeView(this, layout.squeeze(axis).shape()); }

    public Tensor unsqueeze(int axis) { return ViewOps.reshapeView(this, layout.unsqueeze(axis).shape()); }

    /** Broadcasts to a larger shape without copying (NumPy rules). */
    public Tensor expand(long... target) { return ViewOps.expand(this, target); }

    /** This tensor if contiguous, else a contiguous copy. */
    public Tensor contiguous() { return isContiguous() ? this : ViewOps.copy(this); }

    /**
     * This tensor if it is contiguous and starts at element 0 of its buffer, else such a copy: what
     * kernels that take whole buffers need.
     */
    public Tensor dense() { return isContiguous() && layout.offset() == 0 ? this : ViewOps.copy(this); }

    /** An independent contiguous copy (records a graph). */
    public Tensor copy() { return ViewOps.copy(this); }

    // ---- elementwise math -------------------------------------------------------------------------

    public Tensor add(Tensor o) { return ElementwiseOps.binary(ElementwiseOp.ADD, this, o); }
    public Tensor sub(Tensor o) { return ElementwiseOps.binary(ElementwiseOp.SUB, this, o); }
    public Tensor mul(Tensor o) { return ElementwiseOps.binary(ElementwiseOp.MUL, this, o); }
    public Tensor div(Tensor o) { return ElementwiseOps.binary(ElementwiseOp.DIV, this, o); }
    public Tensor pow(Tensor o) { return ElementwiseOps.binary(ElementwiseOp.POW, this, o); }
    public Tensor maximum(Tensor o) { return ElementwiseOps.binary(ElementwiseOp.MAXIMUM, this, o); }
    public Tensor minimum(Tensor o) { return ElementwiseOps.binary(ElementwiseOp.MINIMUM, this, o); }

    public Tensor add(double s) { return ElementwiseOps.unary(ElementwiseOp.ADD_SCALAR, s, this); }
    public Tensor sub(double s) { return ElementwiseOps.unary(ElementwiseOp.ADD_SCALAR, -s, this); }
    public Tensor mul(double s) { return ElementwiseOps.unary(ElementwiseOp.MUL_SCALAR, s, this); }
    public Tensor div(double s) { return ElementwiseOps.unary(ElementwiseOp.MUL_SCALAR, 1.0 / s, this); }
    /** {@code s - this}. */
    public Tensor rsub(double s) { return ElementwiseOps.unary(ElementwiseOp.RSUB_SCALAR, s, this); }
    public Tensor pow(double e) { return ElementwiseOps.unary(ElementwiseOp.POW_SCALAR, e, this); }

    public Tensor neg() { return ElementwiseOps.unary(ElementwiseOp.NEG, 0, this); }
    public Tensor exp() { return ElementwiseOps.unary(ElementwiseOp.EXP, 0, this); }
    public Tensor log() { return ElementwiseOps.unary(ElementwiseOp.LOG, 0, this); }
    public Tensor sqrt() { return ElementwiseOps.unary(ElementwiseOp.SQRT, 0, this); }
    public Tensor rsqrt() { return ElementwiseOps.unary(ElementwiseOp.RSQRT, 0, this); }
    public Tensor abs() { return ElementwiseOps.unary(ElementwiseOp.ABS, 0, this); }
    public Tensor square() { return ElementwiseOps.unary(ElementwiseOp.SQUARE, 0, this); }
    public Tensor reciprocal() { return ElementwiseOps.unary(ElementwiseOp.RECIPROCAL, 0, this); }
    public Tensor sin() { return ElementwiseOps.unary(ElementwiseOp.SIN, 0, this); }
    public Tensor cos() { return ElementwiseOps.unary(ElementwiseOp.COS, 0, this); }
    public Tensor sign() { return ElementwiseOps.unary(ElementwiseOp.SIGN, 0, this); }

    /** Clamps to [min, max]; pass NaN to leave a side open. */
    public Tensor clamp(double min, double max) {
        Tensor t = this;
        if (!Double.isNaN(min)) t = ElementwiseOps.unary(ElementwiseOp.CLAMP_MIN, min, t);
        if (!Double.isNaN(max)) t = ElementwiseOps.unary(ElementwiseOp.CLAMP_MAX, max, t);
        return t;
    }

    public Tensor relu() { return ElementwiseOps.unary(ElementwiseOp.RELU, 0, this); }
    public Tensor leakyRelu(double slope) { return ElementwiseOps.unary(ElementwiseOp.LEAKY_RELU, slope, this); }
    /** GELU, exact (erf) form as PyTorch's default. */
    public Tensor gelu() { return ElementwiseOps.unary(ElementwiseOp.GELU, 0, this); }
    /** GELU, tanh approximation. */
    public Tensor geluTanh() { return ElementwiseOps.unary(ElementwiseOp.GELU_TANH, 0, this); }
    public Tensor sigmoid() { return ElementwiseOps.unary(ElementwiseOp.SIGMOID, 0, this); }
    public Tensor tanh() { return ElementwiseOps.unary(ElementwiseOp.TANH, 0, this); }
    public Tensor softplus() { return ElementwiseOps.unary(ElementwiseOp.SOFTPLUS, 0, this); }
    /** min(max(x, 0), 6), as PyTorch's {@code relu6} (its gradient is zero at and beyond 0 and 6). */
    public Tensor relu6() { return ElementwiseOps.unary(ElementwiseOp.RELU6, 0, this); }
    /** x * min(max(x / 6 + 1/2, 0), 1), as PyTorch's {@code hardswish}. */
    public Tensor hardswish() { return ElementwiseOps.unary(ElementwiseOp.HARDSWISH, 0, this); }
    /** x * sigmoid(x), as PyTorch's {@code silu}. */
    public Tensor silu() { return ElementwiseOps.unary(ElementwiseOp.SILU, 0, this); }

    /** {@code cond != 0 ? a : b}, broadcasting all three. */
    public static Tensor where(Tensor cond, Tensor a, Tensor b) { return ElementwiseOps.where(cond, a, b); }

    // comparisons give 1/0 masks of the same dtype and carry no gradient
    public Tensor eq(Tensor o) { return ElementwiseOps.compare(ElementwiseOp.EQ, this, o); }
    public Tensor ne(Tensor o) { return ElementwiseOps.compare(ElementwiseOp.NE, this, o); }
    public Tensor lt(Tensor o) { return ElementwiseOps.compare(ElementwiseOp.LT, this, o); }
    public Tensor le(Tensor o) { return ElementwiseOps.compare(ElementwiseOp.LE, this, o); }
    public Tensor gt(Tensor o) { return ElementwiseOps.compare(ElementwiseOp.GT, this, o); }
    public Tensor ge(Tensor o) { return ElementwiseOps.compare(ElementwiseOp.GE, this, o); }

    // ---- linear algebra ---------------------------------------------------------------------------

    /** Matrix product with NumPy/PyTorch semantics: 1-D, 2-D and broadcast batched operands. */
    public Tensor matmul(Tensor o) { return MatMulOp.matmul(this, o); }

    // ---- reductions -------------------------------------------------------------------------------

    /** Sum of all elements (a 0-d tensor). */
    public Tensor sum() { return ReductionOps.sum(this, allAxes(), false); }
    public Tensor sum(int axis, boolean keepDim) { return ReductionOps.sum(this, new int[]{axis}, keepDim); }
    public Tensor sum(int[] axes, boolean keepDim) { return ReductionOps.sum(this, axes, keepDim); }
    public Tensor mean() { return ReductionOps.mean(this, allAxes(), false); }
    public Tensor mean(int axis, boolean keepDim) { return ReductionOps.mean(this, new int[]{axis}, keepDim); }
    public Tensor mean(int[] axes, boolean keepDim) { return ReductionOps.mean(this, axes, keepDim); }
    /** Maximum along an axis (gradient flows to the first maximal element). */
    public Tensor max(int axis, boolean keepDim) { return ReductionOps.extreme(this, axis, keepDim, true); }
    public Tensor min(int axis, boolean keepDim) { return ReductionOps.extreme(this, axis, keepDim, false); }
    public Tensor max() { return flatten().max(0, false); }
    public Tensor min() { return flatten().min(0, false); }
    /** Index of the maximum along an axis (I64, no gradient). */
    public Tensor argmax(int axis, boolean keepDim) { return ReductionOps.argExtreme(this, axis, keepDim, true); }
    public Tensor argmin(int axis, boolean keepDim) { return ReductionOps.argExtreme(this, axis, keepDim, false); }
    /** Variance along axes; {@code unbiased} divides by N-1. */
    public Tensor var(int[] axes, boolean keepDim, boolean unbiased) { return ReductionOps.var(this, axes, keepDim, unbiased); }
    public Tensor var(int axis, boolean keepDim) { return var(new int[]{axis}, keepDim, true); }
    public Tensor std(int axis, boolean keepDim) { return var(axis, keepDim).sqrt(); }

    public Tensor softmax(int axis) { return SoftmaxOps.softmax(this, axis, false); }
    public Tensor logSoftmax(int axis) { return SoftmaxOps.softmax(this, axis, true); }

    private int[] allAxes() {
        int[] a = new int[dim()];
        for (int i = 0; i < a.length; i++) a[i] = i;
        return a;
    }

    // ---- joining and indexing ---------------------------------------------------------------------

    public static Tensor cat(List<Tensor> tensors, int axis) { return JoinOps.cat(tensors, axis); }
    public static Tensor stack(List<Tensor> tensors, int axis) { return JoinOps.stack(tensors, axis); }

    /** Picks entries along an axis by an I64 index tensor (1-D). */
    public Tensor indexSelect(int axis, Tensor index) { return IndexOps.indexSelect(this, axis, index); }

    // ---- dtype and backend ------------------------------------------------------------------------

    /** A copy converted to another dtype (differentiable between floating types). */
    public Tensor to(DType target) { return target == dtype() ? this : ViewOps.cast(this, target); }

    /** A copy on another backend (differentiable). */
    public Tensor to(Backend target) { return target == backend() ? this : ViewOps.transfer(this, target); }

    // ---- in-place (bump the version; never recorded) ----------------------------------------------

    /** Fills every element with a value, in place. */
    public Tensor fill(double value) {
        checkInPlace("fill");
        fillRaw(value);
        return this;
    }

    void fillRaw(double value) {
        checkOpen();
        ElementwiseOps.fill(this, value);
        storage.bumpVersion();
    }

    /** {@code this += other} (broadcast), in place. */
    public Tensor addInPlace(Tensor other) {
        checkInPlace("addInPlace");
        ElementwiseOps.addInto(this, other);
        storage.bumpVersion();
        return this;
    }

    /** {@code this *= s}, in place. */
    public Tensor mulInPlace(double s) {
        checkInPlace("mulInPlace");
        ElementwiseOps.scaleInto(this, s);
        storage.bumpVersion();
        return this;
    }

    /** Copies values from a tensor of the same shape, in place (dtype converted). */
    public Tensor copyFrom(Tensor src) {
        checkInPlace("copyFrom");
        if (!Arrays.equals(src.shape(), shape()))
            throw new ShapeException("copyFrom: source shape " + Shapes.str(src.shape()) + " differs from " + Shapes.str(shape()));
        Tensor s = src.backend() == backend() ? src : src.to(backend());
        backend().copy(s.view(), view());
        storage.bumpVersion();
        return this;
    }

    private void checkInPlace(String op) {
        checkOpen();
        if (requiresGrad && isLeaf() && GradMode.isEnabled())
            throw new EngineException(op + ": in-place change of a leaf tensor that requires grad; wrap it in GradMode.noGrad()");
    }

    // ---- values out -------------------------------------------------------------------------------

    public float[] toFloatArray() {
        Tensor c = to(DType.F32).contiguous();
        float[] out = new float[Shapes.numelInt(shape())];
        backend().copyOut(c.storage.buffer, c.layout.offset(), out, 0, out.length);
        return out;
    }

    public double[] toDoubleArray() {
        Tensor c = to(DType.F64).contiguous();
        double[] out = new double[Shapes.numelInt(shape())];
        backend().copyOut(c.storage.buffer, c.layout.offset(), out, 0, out.length);
        return out;
    }

    public long[] toLongArray() {
        Tensor c = to(DType.I64).contiguous();
        long[] out = new long[Shapes.numelInt(shape())];
        backend().copyOut(c.storage.buffer, c.layout.offset(), out, 0, out.length);
        return out;
    }

    /** The single value of a one-element tensor. */
    public double item() {
        if (numel() != 1) throw new ShapeException("item: tensor of shape " + Shapes.str(shape()) + " has " + numel() + " elements, not 1");
        return toDoubleArray()[0];
    }

    // ---- lifetime ---------------------------------------------------------------------------------

    /** Releases this tensor's reference to its storage (freed when no view uses it). Idempotent. */
    @Override public void close() {
        if (closed) return;
        closed = true;
        gradFn = null;
        storage.release();
        if (scope != null) MemoryScope.detach(this);
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("Tensor(shape=").append(Shapes.str(shape())).append(", dtype=").append(dtype())
                .append(", device=").append(closed ? "closed" : device().toString());
        if (requiresGrad) sb.append(", requiresGrad");
        if (gradFn != null) sb.append(", gradFn=").append(gradFn.name());
        if (!closed && numel() <= 16 && dtype().isFloating()) sb.append(", values=").append(Arrays.toString(toFloatArray()));
        return sb.append(")").toString();
    }
}
