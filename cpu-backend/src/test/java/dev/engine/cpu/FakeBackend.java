package dev.engine.cpu;

import dev.engine.api.contract.StubBackend;

/**
 * A backend for discovery tests, registered through the test class path's
 * {@code META-INF/services/dev.engine.api.Backend}: ranked above the CPU (like CUDA) but never available,
 * with a reason. Its kernels are never reached.
 */
public class FakeBackend extends StubBackend {
    static final String REASON = "fake: no such device in this test";

    public FakeBackend() { super("fake", 100, false); }

    /** A provider whose constructor fails, as a backend whose native library is missing might. */
    public static class Broken extends FakeBackend {
        public Broken() { throw new IllegalStateException("broken provider: cannot initialise"); }
    }
}
