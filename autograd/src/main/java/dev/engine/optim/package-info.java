/**
 * Optimizers, learning-rate schedules and gradient clipping. Every optimizer step is one call to the
 * backend's fused multi-tensor kernel: {@link dev.engine.optim.SGD} (momentum, dampening, Nesterov, weight
 * decay), {@link dev.engine.optim.Adam}, {@link dev.engine.optim.AdamW}, {@link dev.engine.optim.RMSProp};
 * state saved and restored through {@link dev.engine.optim.Optimizer#stateDict()}. Schedules:
 * {@link dev.engine.optim.StepLR}, {@link dev.engine.optim.ExponentialLR},
 * {@link dev.engine.optim.CosineWithWarmup}, {@link dev.engine.optim.OneCycleLR},
 * {@link dev.engine.optim.ReduceLROnPlateau}. Clipping: {@link dev.engine.optim.GradClip}. Loss scaling for F16 mixed
 * precision ({@code dev.engine.autograd.Autocast}): {@link dev.engine.optim.LossScaler}.
 *
 * <pre>{@code
 * var opt = new SGD(model.parameters(), 0.1, 0.9, 0, 5e-4, true);
 * var sched = new CosineWithWarmup(opt, 500, 10_000, 0);
 * // per batch: backward, GradClip.byNorm(model.parameters(), 1.0), opt.step(), sched.step()
 * }</pre>
 */
package dev.engine.optim;
