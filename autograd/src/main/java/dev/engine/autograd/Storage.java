package dev.engine.autograd;

import dev.engine.api.Buffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A buffer shared by a tensor and its views, freed when the last of them is closed, plus the version
 * counter that in-place ops bump so that backward can detect a saved tensor that was changed.
 */
final class Storage {
    final Buffer buffer;
    private final AtomicInteger refs = new AtomicInteger(1);
    private volatile int version;

    Storage(Buffer buffer) { this.buffer = buffer; }

    Storage retain() {
        if (refs.getAndIncrement() <= 0) {
            refs.decrementAndGet();
            throw new dev.engine.api.ClosedBufferException("tensor storage was already released");
        }
        return this;
    }

    void release() {
        if (refs.decrementAndGet() == 0) buffer.close();
    }

    int version() { return version; }

    void bumpVersion() { version++; }
}
