package dev.engine.api;

/** Thrown for a backend was asked for that cannot run here; the message carries its reason. */
public class BackendUnavailableException extends EngineException {
    public BackendUnavailableException(String message) { super(message); }
    public BackendUnavailableException(String message, Throwable cause) { super(message, cause); }
}
