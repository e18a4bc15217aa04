package dev.engine.api;

/**
 * A place where buffers live: a backend name plus a device index.
 *
 * <pre>{@code
 * Device gpu = Device.of("cuda", 0);
 * Device cpu = Device.CPU;
 * }</pre>
 */
public record Device(String backend, int index) {
    /** The host CPU. */
    public static final Device CPU = new Device("cpu", 0);

    public Device {
        if (backend == null || backend.isBlank()) throw new DeviceException("device backend name is empty");
        if (index < 0) throw new DeviceException("device index " + index + " is negative");
    }

    public static Device of(String backend, int index) { return new Device(backend, index); }

    @Override public String toString() { return backend + ":" + index; }
}
