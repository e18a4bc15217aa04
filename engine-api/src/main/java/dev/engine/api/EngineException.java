package dev.engine.api;

/**
 * Root of every exception the engine throws on purpose. Messages name the operation, the shapes or
 * dtypes that were given and what was expected.
 *
 * <pre>{@code
 * try { backend.gemm(...); } catch (EngineException e) { log.warn(e.getMessage()); }
 * }</pre>
 */
public class EngineException extends RuntimeException {
    public EngineException(String message) { super(message); }
    public EngineException(String message, Throwable cause) { super(message, cause); }
}
