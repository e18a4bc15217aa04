package dev.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.contract.StubBackend;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.ServiceConfigurationError;
import org.junit.jupiter.api.Test;

/** The registry logic of {@link Backends} with a hand-made provider iterator (no ServiceLoader). */
class BackendsLoadTest {
    static Backend named(String name, int rank) { return new StubBackend(name, rank, true); }

    /** Yields the items in order; a Throwable item is thrown from next() the way ServiceLoader does. */
    static Iterator<Backend> iterator(Object... items) {
        return new Iterator<>() {
            int i;
            @Override public boolean hasNext() { return i < items.length; }
            @Override public Backend next() {
                if (i >= items.length) throw new NoSuchElementException();
                Object o = items[i++];
                if (o instanceof Error e) throw e;
                return (Backend) o;
            }
        };
    }

    @Test
    void ranksHighestFirstAndSkipsProvidersThatFail() {
        var r = Backends.load(iterator(named("cpu", 10), new ServiceConfigurationError("cuda: provider could not be instantiated",
                new UnsatisfiedLinkError("no libcudart")), named("cuda", 100), new NoClassDefFoundError("dev/engine/Missing"), named("x", 50)));
        assertEquals(List.of("cuda", "x", "cpu"), r.backends().stream().map(Backend::name).toList());
        assertEquals(2, r.failures().size());
        assertTrue(r.failures().get(0).contains("libcudart"), r.failures().get(0));
        assertTrue(r.failures().get(1).contains("Missing"), r.failures().get(1));
    }

    @Test
    void emptyClassPath() {
        var r = Backends.load(iterator());
        assertTrue(r.backends().isEmpty());
        assertTrue(r.failures().isEmpty());
    }
}
