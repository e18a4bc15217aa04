package dev.engine.graph;

/**
 * The layer-level operations of the frozen-graph IR. Each {@link Node} has one kind; its attributes
 * (see {@link Node}) carry the rest. The names are part of the bundle format: never rename them.
 *
 * <pre>{@code
 * if (node.kind() == OpKind.LINEAR) System.out.println(node.name());
 * }</pre>
 */
public enum OpKind {
    /** A graph input (the main one, or a further one such as a key-padding mask), named by its node name; attribute ints "shape". */
    INPUT,
    /** A constant tensor; const "value". */
    CONSTANT,
    /** {@code act(x W^T + bias [+ residual])}; consts "weight" [out,in] (or "weightT" [in,out] once packed, or int8 "weightQ" [in,out] + "weightScale" [out]), "bias". */
    LINEAR,
    /**
     * NCHW convolution with KCRS "weight" (or int8 "weightQ", KCRS, with "weightScale" [K]; groups 1), bias and
     * activation; ints "stride", "padding", "dilation", "groups".
     */
    CONV2D,
    /** Eval-mode batch norm as per-channel (axis 1) {@code x*scale + shift}; consts "scale", "shift". */
    BATCHNORM,
    /** Layer norm over the last axis; consts "gamma", "beta"; floats "eps". */
    LAYERNORM,
    /** Max pooling; ints "kernel", "stride", "padding". */
    MAXPOOL2D,
    /** Average pooling; ints "kernel", "stride", "padding", "countIncludePad". */
    AVGPOOL2D,
    /** Adaptive average pooling; ints "output". */
    ADAPTIVEAVGPOOL2D,
    /** Flattens axes "start".."end" (ints) into one. A view, no copy. */
    FLATTEN,
    /** Reshape keeping the batch axis; ints "shape" holds the non-batch dims. A view, no copy. */
    RESHAPE,
    /** One fused {@link dev.engine.api.ElementwiseProgram} over its (broadcast) operands. */
    ELEMENTWISE,
    /** Sum of two values (broadcast), e.g. a residual connection. */
    ADD,
    /** Softmax over the last axis. */
    SOFTMAX,
    /** Log-softmax over the last axis. */
    LOG_SOFTMAX,
    /** Dropout: a no-op at inference. */
    DROPOUT,
    /** Identity: a no-op. */
    IDENTITY,
    /** Matrix product of two values (a [..., m, k] with b [k, n] or equal batch dims). */
    MATMUL,
    /** Embedding lookup: input holds indices (as floats), const "table" [vocab, dim]. */
    EMBEDDING,
    /** A plain copy (inserted when the output would alias the input). */
    COPY,
    /** Axes permuted (a strided copy); ints "perm", whose first entry is 0 (the batch axis stays first). */
    PERMUTE,
    /** Every "step"-th element of [start, end) along one non-batch axis (a strided copy); ints "axis", "start", "end", "step". */
    SLICE,
    /** Inputs joined along one non-batch axis; ints "axis". */
    CONCAT,
    /**
     * Fused scaled dot-product attention of ints "heads" heads, {@code softmax(scale * q k^T [+ causal mask]) v} per
     * head, heads joined: one input [B, L, 3E] (q, k and v side by side, as one projection GEMM writes them) or
     * three, q [B, Lq, E], k [B, Lk, E], v [B, Lk, Ev]; output [B, Lq, Ev]. Floats "scale"; ints "causal" (1: query
     * i sees keys j <= i). A further last input (2 or 4 inputs in all) is a key-padding mask [B, Lk]: key j of
     * batch b is hidden where it is non-zero; a query that sees no key gets zeros.
     */
    ATTENTION,
    /**
     * Transposed NCHW convolution (the input gradient of a convolution): "weight" [C_in, C_out/groups, kh, kw],
     * optional "bias" [C_out]; ints "stride", "padding", "outputPadding", "dilation", "groups".
     */
    CONV_TRANSPOSE2D
}
