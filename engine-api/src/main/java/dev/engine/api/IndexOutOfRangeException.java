package dev.engine.api;

/** Thrown for an index (embedding id, class label, gather index) outside its valid range. */
public class IndexOutOfRangeException extends EngineException {
    public IndexOutOfRangeException(String message) { super(message); }
    public IndexOutOfRangeException(String message, Throwable cause) { super(message, cause); }
}
