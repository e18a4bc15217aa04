/**
 * ONNX import into the frozen path: {@link dev.engine.inference.onnx.Onnx#load} reads an {@code .onnx}
 * file (opsets 13 to 21; tensors inline, as raw data, or in external-data side files next to the model)
 * into the same {@link dev.engine.graph.Graph} the tracer records, and freezes it with the same passes.
 *
 * <h2>How</h2>
 * <ol>
 *   <li>{@code ProtoReader}/{@code OnnxProto}: a hand-written protobuf decoder that bounds every length
 *       against the bytes that remain (a hostile file fails naming the message path, never OOMs or hangs).</li>
 *   <li>{@code OnnxPatterns}: the Erf form of GELU and the ReduceMean/Sub/Pow/Sqrt/Div form of layer norm
 *       that older exporters write become one op each.</li>
 *   <li>{@code OnnxImporter}/{@code OnnxOps}: each ONNX value is a graph value or a constant known now;
 *       shape subgraphs (Shape, Gather, Concat, Unsqueeze, ConstantOfShape, Range, Where, Cast, ...) fold in
 *       Java ({@code ConstOps}), remembering which integers are the batch size so a Reshape built from them
 *       keeps the batch dynamic.</li>
 * </ol>
 *
 * <h2>Ops on graph values</h2>
 * Gemm, MatMul (constant right operand: a Linear; two graph values: batched matmul with equal batch dims),
 * Add/Sub/Mul/Div/Pow/Max/Min and comparisons with broadcasting, Relu, LeakyRelu, Sigmoid, Tanh, Gelu (both
 * forms), Exp, Log, Sqrt, Neg, Reciprocal, Abs, Sign, Softplus, Sin, Cos, Clip, Where, Softmax/LogSoftmax on
 * any non-batch axis, Conv (2-D; strides, symmetric pads, auto_pad, dilations, groups), ConvTranspose (2-D; the
 * same plus output_padding and output_shape, symmetric padding only), MaxPool/AveragePool
 * (square, no ceil mode), GlobalAveragePool, BatchNormalization, LayerNormalization (last axis),
 * ReduceMean/ReduceSum (last axis with keepdims, or H,W), Flatten (axis 1), Reshape, Transpose, Concat,
 * Split, Slice (positive steps), Squeeze/Unsqueeze and Gather of one index (all off the batch axis), Gather
 * from a constant table (embeddings), Identity, Dropout, Expand (no-op), Cast (to float).
 *
 * <h2>Limits</h2>
 * One output. The first graph input is the model's main input; further inputs (e.g. a key-padding mask,
 * float or bool, fed as F32 0/1) share its batch axis and have fixed other dims. Axis 0 of the input is the
 * batch and must stay axis 0 throughout, except inside the attention pattern PyTorch 1.13 exports for a
 * batch-first {@code nn.MultiheadAttention} / {@code nn.TransformerEncoderLayer} (with or without a causal
 * {@code attn_mask}, or with {@code src_key_padding_mask}), which {@code OnnxAttention} recognises and fuses into
 * one attention op (a sequence-first export's leading Transpose is refused naming it); no
 * control flow (If/Loop), no float16, no asymmetric padding. Each refusal names the op, node and opset.
 *
 * <pre>{@code
 * try (FrozenModel m = Onnx.load(Path.of("lenet.onnx"))) {
 *     float[] logits = m.run(pixels, 64);
 * }
 * try (Predictor p = Predictor.load(Path.of("lenet.onnx"))) { p.predict(row); }
 * }</pre>
 */
package dev.engine.inference.onnx;
