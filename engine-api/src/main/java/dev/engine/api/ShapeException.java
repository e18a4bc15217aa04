package dev.engine.api;

/** Thrown for shapes that do not fit an operation (rank, sizes, broadcasting, bounds). */
public class ShapeException extends EngineException {
    public ShapeException(String message) { super(message); }
    public ShapeException(String message, Throwable cause) { super(message, cause); }
}
