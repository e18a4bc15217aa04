package dev.engine.api;

/** Thrown for use of a buffer (or tensor) after it was closed. */
public class ClosedBufferException extends EngineException {
    public ClosedBufferException(String message) { super(message); }
    public ClosedBufferException(String message, Throwable cause) { super(message, cause); }
}
