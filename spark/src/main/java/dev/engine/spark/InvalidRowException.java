package dev.engine.spark;

import dev.engine.api.EngineException;

/**
 * A row that cannot be scored (null, wrong length, a non-finite value, or a missing value the bundle has no
 * imputer for) while {@code handleInvalid} is "error"; the message names the partition and the row within it.
 *
 * <pre>{@code
 * try { predictor.transform(df).count(); }
 * catch (org.apache.spark.SparkException e) { ... e.getCause() is an InvalidRowException ... }
 * }</pre>
 */
public final class InvalidRowException extends EngineException {
    public InvalidRowException(String message, Throwable cause) { super(message, cause); }
}
