package dev.engine.train;

/**
 * What the model predicts, which decides the metrics and how targets become tensors.
 *
 * <pre>{@code
 * Trainer.builder(model, loss, opt).task(Task.REGRESSION)...
 * }</pre>
 */
public enum Task {
    /** Integer class labels; metrics: accuracy, precision/recall/F1, confusion matrix. */
    CLASSIFICATION,
    /** Float targets; metrics: MSE, MAE, R². */
    REGRESSION
}
