/**
 * Frozen inference: trace a model once into a graph, optimise it, run it allocation-free from many
 * threads, and ship it as one checksummed bundle.
 *
 * <h2>Pipeline</h2>
 * <ol>
 *   <li>{@link dev.engine.graph.Tracer} records a forward pass as a {@link dev.engine.graph.Graph}
 *       of layer-level {@link dev.engine.graph.Node}s (weights copied out as constants).</li>
 *   <li>{@link dev.engine.inference.Freezer} runs the passes {@link dev.engine.inference.FreezeOptions}
 *       enables: {@link dev.engine.inference.DeadCodeElimination}, {@link dev.engine.inference.ConstantFolding},
 *       {@link dev.engine.inference.BatchNormFolding}, {@link dev.engine.inference.WeightPacking},
 *       {@link dev.engine.inference.EpilogueFusion}, {@link dev.engine.inference.ElementwiseFusion}.</li>
 *   <li>{@link dev.engine.inference.ExecutionPlan} specialises the graph to a batch size, computes
 *       lifetimes and places every intermediate in one arena ({@link dev.engine.inference.ArenaPlanner}).</li>
 *   <li>{@link dev.engine.inference.FrozenModel} runs plans, each caller on its own
 *       {@link dev.engine.inference.ExecutionContext}, whose first call is recorded with
 *       {@link dev.engine.api.Backend#recordCall} (on CUDA one graph with pinned copies: a later call is one
 *       native call); {@link dev.engine.inference.Bundle} stores the graph with pre/post-processing;
 *       {@link dev.engine.inference.Predictor} is the embedding API.</li>
 * </ol>
 *
 * <h2>Making a layer traceable</h2>
 * A layer implements {@link dev.engine.graph.Traceable} by recording what its eval-mode
 * {@code forward} computes, passing its parameters (tensors are copied) and naming the node after itself:
 * <pre>{@code
 * // Linear
 * public Value trace(Tracer t, Value x) { return t.named(name()).linear(x, weight, bias); }          // bias may be null
 * // Conv2d
 * public Value trace(Tracer t, Value x) {
 *     return t.named(name()).conv2d(x, weight, bias, new int[]{sh, sw}, new int[]{ph, pw}, new int[]{dh, dw}, groups);
 * }
 * // BatchNorm (eval: running statistics)
 * public Value trace(Tracer t, Value x) { return t.named(name()).batchNorm(x, gamma, beta, runningMean, runningVar, eps); }
 * // ReLU / GELU / Sigmoid / Tanh / LeakyReLU, Dropout, Flatten, pooling, LayerNorm, Embedding, Softmax
 * public Value trace(Tracer t, Value x) { return t.relu(x); }
 * // Sequential
 * public Value trace(Tracer t, Value x) { for (Module m : layers) x = ((Traceable) m).trace(t, x); return x; }
 * // Residual block: y = relu(fc2(relu(fc1(x))) + x)
 * public Value trace(Tracer t, Value x) { return t.relu(t.add(fc2.trace(t, fc1Act.trace(t, fc1.trace(t, x))), x)); }
 * }</pre>
 * Then {@code Freezer.freeze(model, Tensor.zeros(1, 784))} ({@link Freezer#freeze(dev.engine.nn.Module, dev.engine.autograd.Tensor)}) works. Elementwise
 * math without a layer goes through {@link dev.engine.graph.Tracer#elementwise} or the scalar helpers;
 * ops the IR lacks should be added as an {@link dev.engine.graph.OpKind} with shape inference, a
 * kernel binding in {@link dev.engine.inference.ExecutionContext} and an ONNX mapping.
 */
package dev.engine.inference;

