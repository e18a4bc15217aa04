package dev.engine.api;

/** Thrown for a model, bundle or weights file that is malformed, truncated or of the wrong version. */
public class ModelFormatException extends EngineException {
    public ModelFormatException(String message) { super(message); }
    public ModelFormatException(String message, Throwable cause) { super(message, cause); }
}
