package dev.engine.api;

/** Thrown for tensors or buffers on different devices, or a device that is not there. */
public class DeviceException extends EngineException {
    public DeviceException(String message) { super(message); }
    public DeviceException(String message, Throwable cause) { super(message, cause); }
}
