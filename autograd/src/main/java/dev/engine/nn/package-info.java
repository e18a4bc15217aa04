/**
 * Layers, initialisation and losses, PyTorch-shaped: parameter and buffer names match PyTorch's state-dict
 * keys so weights exported from PyTorch load with {@link dev.engine.nn.Module#loadStateDict}.
 *
 * <h2>Layers</h2>
 * <ul>
 *   <li>{@link dev.engine.nn.Linear} (weight [out, in], bias), {@link dev.engine.nn.Conv2d} (stride, padding,
 *       dilation, groups, bias), {@link dev.engine.nn.MaxPool2d}, {@link dev.engine.nn.AvgPool2d},
 *       {@link dev.engine.nn.AdaptiveAvgPool2d}, {@link dev.engine.nn.Flatten}</li>
 *   <li>{@link dev.engine.nn.BatchNorm1d}, {@link dev.engine.nn.BatchNorm2d} (running_mean, running_var,
 *       num_batches_tracked), {@link dev.engine.nn.LayerNorm}, {@link dev.engine.nn.Dropout} (Philox, seeded,
 *       train-only), {@link dev.engine.nn.Embedding} (padding index)</li>
 *   <li>{@link dev.engine.nn.MultiHeadAttention} (batch-first; causal, key-padding and additive masks),
 *       {@link dev.engine.nn.TransformerEncoderLayer} (post-norm default, pre-norm option, ReLU/GELU),
 *       {@link dev.engine.nn.TransformerEncoder} (a stack, "layers.N..." names)</li>
 *   <li>activations {@link dev.engine.nn.ReLU}, {@link dev.engine.nn.LeakyReLU}, {@link dev.engine.nn.GELU},
 *       {@link dev.engine.nn.Sigmoid}, {@link dev.engine.nn.Tanh}, {@link dev.engine.nn.Softmax}; containers
 *       {@link dev.engine.nn.Sequential} (children "0", "1", ...), {@link dev.engine.nn.ModuleList} and
 *       {@link dev.engine.nn.Residual}</li>
 *   <li>{@link dev.engine.nn.Init}: Kaiming/Xavier uniform/normal from a seeded generator; layers default to
 *       PyTorch's init</li>
 * </ul>
 * Losses live in {@link dev.engine.nn.loss}; optimizers, schedules and clipping in {@link dev.engine.optim}. Every
 * layer trains in mixed precision inside a {@code dev.engine.autograd.Autocast} scope (its products round their
 * operands to BF16 or F16, sums and parameters stay F32).
 *
 * <h2>Fighting overfitting</h2>
 * Two tools: L2 regularisation through the optimizers' {@code weightDecay} (coupled into the gradient for
 * {@code SGD}/{@code Adam}/{@code RMSProp}; decoupled, applied to the weights directly, in {@code AdamW},
 * which is what to use with Adam), and {@link dev.engine.nn.Dropout} between layers (active only after
 * {@code train()}, an identity after {@code eval()} — call {@code eval()} before validating).
 *
 * <pre>{@code
 * var model = new Sequential(new Linear(64, 128), new ReLU(), new Dropout(0.2), new Linear(128, 10));
 * var opt = new AdamW(model.parameters(), 1e-3, 0.9, 0.999, 1e-8, 0.05);
 * var lossFn = new CrossEntropyLoss();
 * try (MemoryScope step = MemoryScope.open()) {
 *     opt.zeroGrad();
 *     lossFn.forward(model.forward(x), labels).backward();
 *     opt.step();
 * }
 * }</pre>
 */
package dev.engine.nn;
