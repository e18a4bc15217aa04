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
 *       that older exporters write become one op each; so does PyTorch's attention ({@code OnnxAttention}).</li>
 *   <li>{@code OnnxImporter}/{@code OnnxOps}: each ONNX value is a graph value or a constant known now;
 *       shape subgraphs (Shape, Gather, Concat, Unsqueeze, ConstantOfShape, Range, Where, Cast, ...) fold in
 *       Java ({@code ConstOps}), remembering which integers are the batch size so a Reshape built from them
 *       keeps the batch dynamic.</li>
 * </ol>
 *
 * <h2>Ops on graph values</h2>
 * Gemm, MatMul (constant right operand: a Linear; two graph values: batched matmul with equal batch dims),
 * Add/Sub/Mul/Div/Pow/Max/Min and comparisons with broadcasting, Relu, LeakyRelu, PRelu, Elu, Selu, Celu,
 * ThresholdedRelu, HardSigmoid, HardSwish, Sigmoid, Tanh, Gelu (both forms), Exp, Log, Sqrt, Neg, Reciprocal,
 * Abs, Sign, Softplus, Sin, Cos, Clip, Where, Softmax/LogSoftmax on any non-batch axis; Conv and ConvTranspose
 * (1-D and 2-D; strides, pads, auto_pad, dilations, groups; a transposed convolution's padding symmetric),
 * MaxPool/AveragePool (1-D and 2-D, rectangular, asymmetric pads, ceil_mode, count_include_pad; no dilation),
 * GlobalAveragePool/GlobalMaxPool, BatchNormalization, LayerNormalization (last axis), InstanceNormalization
 * (so GroupNorm's export too), ReduceMean/Sum/Max/Min/L1/L2/SumSquare over any non-batch axes, CumSum, Pad
 * (constant, reflect, edge, wrap), Resize/Upsample (nearest and linear, every coordinate mode but
 * tf_crop_and_resize), DepthToSpace/SpaceToDepth, Tile, Expand, Flatten, Reshape, Transpose, Concat, Split,
 * Slice (negative steps too), Squeeze/Unsqueeze and Gather of one index, Gather from a constant table
 * (embeddings), Identity, Dropout, Cast (to float), and LSTM / GRU / RNN (forward, reverse, bidirectional,
 * stacked; zero initial state), unrolled over the sequence.
 *
 * <h2>Limits</h2>
 * One output. The first graph input is the model's main input; further inputs (e.g. a key-padding mask,
 * float or bool, fed as F32 0/1) share its batch axis and have fixed other dims. Axis 0 of the input is the
 * batch and stays axis 0 in the graph: a value whose batch moves elsewhere (PyTorch's sequence-first tensors
 * around a recurrent layer) lives only inside the importer ({@code BatchMoved}) until it is transposed back,
 * and only layout ops and the recurrent layers may read it; the attention pattern PyTorch 1.13 exports for a
 * batch-first {@code nn.MultiheadAttention} / {@code nn.TransformerEncoderLayer} / torchvision's ViT (with or
 * without a causal {@code attn_mask}, or with {@code src_key_padding_mask}) is recognised by
 * {@code OnnxAttention} and fused into one attention op. No control flow (If/Loop), no float16, no 3-D
 * convolution, no ArgMax/TopK/Erf on their own. Each refusal names the op, node and opset.
 *
 * <pre>{@code
 * try (FrozenModel m = Onnx.load(Path.of("lenet.onnx"))) {
 *     float[] logits = m.run(pixels, 64);
 * }
 * try (Predictor p = Predictor.load(Path.of("lenet.onnx"))) { p.predict(row); }
 * }</pre>
 */
package dev.engine.inference.onnx;
