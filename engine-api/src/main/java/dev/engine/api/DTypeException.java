package dev.engine.api;

/** Thrown for a dtype an operation does not support, or mismatched dtypes. */
public class DTypeException extends EngineException {
    public DTypeException(String message) { super(message); }
    public DTypeException(String message, Throwable cause) { super(message, cause); }
}
