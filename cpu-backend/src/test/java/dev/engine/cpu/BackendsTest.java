package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.engine.api.Backend;
import dev.engine.api.BackendUnavailableException;
import dev.engine.api.Backends;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Discovery through ServiceLoader: the test class path registers {@link FakeBackend} (ranked above the
 * CPU, unavailable with a reason) and {@link FakeBackend.Broken} (its constructor throws).
 */
class BackendsTest {
    @Test
    void cpuIsFoundByNameAndIsAvailable() {
        Backend cpu = Backends.get("cpu");
        assertEquals("cpu", cpu.name());
        assertTrue(cpu.isAvailable(), String.valueOf(cpu.unavailableReason()));
        assertSame(cpu, Backends.get(" CPU "), "names are trimmed and case-insensitive");
        assertSame(cpu, Backends.cpu());
        assertEquals(null, cpu.unavailableReason());
    }

    @Test
    void allIsRankedAndSkipsBrokenProviders() {
        List<Backend> all = Backends.all();
        assertEquals(List.of("fake", "cpu"), all.stream().map(Backend::name).toList());
        for (int i = 1; i < all.size(); i++) assertTrue(all.get(i - 1).rank() >= all.get(i).rank());
    }

    @Test
    void unknownNameListsWhatWasFound() {
        var e = assertThrows(BackendUnavailableException.class, () -> Backends.get("tpu"));
        assertTrue(e.getMessage().contains("tpu"), e.getMessage());
        assertTrue(e.getMessage().contains("cpu") && e.getMessage().contains("fake"), e.getMessage());
        assertTrue(e.getMessage().contains("broken provider"), "failed providers are reported: " + e.getMessage());
    }

    @Test
    void unavailableBackendCarriesItsReason() {
        var e = assertThrows(BackendUnavailableException.class, () -> Backends.get("fake"));
        assertTrue(e.getMessage().contains(FakeBackend.REASON), e.getMessage());
        assertTrue(e.getMessage().contains("fake"), e.getMessage());
    }

    @Test
    void nullOrBlankNameIsAClearError() {
        assertThrows(BackendUnavailableException.class, () -> Backends.get(null));
        assertThrows(BackendUnavailableException.class, () -> Backends.get("  "));
    }

    @Test
    void preferredSkipsUnavailableAndHonoursTheProperty() {
        assumeTrue(System.getenv(Backends.ENV) == null || System.getenv(Backends.ENV).isBlank(), "ENGINE_BACKEND is set");
        String old = System.getProperty(Backends.PROPERTY);
        try {
            System.clearProperty(Backends.PROPERTY);
            assertEquals("cpu", Backends.preferred().name(), "the higher-ranked fake is unavailable, so cpu wins");
            System.setProperty(Backends.PROPERTY, "cpu");
            assertEquals("cpu", Backends.preferred().name());
            System.setProperty(Backends.PROPERTY, "fake");
            var e = assertThrows(BackendUnavailableException.class, Backends::preferred);
            assertTrue(e.getMessage().contains(FakeBackend.REASON), e.getMessage());
            System.setProperty(Backends.PROPERTY, "nope");
            e = assertThrows(BackendUnavailableException.class, Backends::preferred);
            assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("cpu"), e.getMessage());
            System.setProperty(Backends.PROPERTY, "   ");
            assertEquals("cpu", Backends.preferred().name(), "a blank property is ignored");
        } finally {
            if (old == null) System.clearProperty(Backends.PROPERTY); else System.setProperty(Backends.PROPERTY, old);
        }
    }
}
