/**
 * Loss functions with PyTorch's semantics and reductions ({@link dev.engine.autograd.Reduction} MEAN, SUM,
 * NONE): {@link dev.engine.nn.loss.MSELoss}, {@link dev.engine.nn.loss.L1Loss},
 * {@link dev.engine.nn.loss.SmoothL1Loss}, {@link dev.engine.nn.loss.HuberLoss},
 * {@link dev.engine.nn.loss.CrossEntropyLoss} (from logits, one fused kernel for loss and gradient; class
 * weights, label smoothing, ignore index), {@link dev.engine.nn.loss.NLLLoss},
 * {@link dev.engine.nn.loss.BCELoss} and {@link dev.engine.nn.loss.BCEWithLogitsLoss} (stable, pos-weight).
 *
 * <pre>{@code
 * Tensor loss = new CrossEntropyLoss().forward(logits, Tensor.ofLongs(new long[]{2, 0}, 2));
 * }</pre>
 */
package dev.engine.nn.loss;
