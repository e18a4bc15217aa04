package dev.engine.api;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * Finds backends through {@link ServiceLoader}, ranks them (CUDA above CPU) and picks one. The choice can
 * be forced with the system property {@code engine.backend} or the environment variable
 * {@code ENGINE_BACKEND}; forcing an unavailable backend throws with its reason. This registry is the
 * engine's only global state.
 *
 * <pre>{@code
 * Backend be = Backends.preferred();          // best available, or the forced one
 * Backend cpu = Backends.get("cpu");           // by name; throws if missing or unavailable
 * for (Backend b : Backends.all()) System.out.println(b.name() + " " + b.isAvailable());
 * }</pre>
 */
public final class Backends {
    /** System property that forces a backend by name. */
    public static final String PROPERTY = "engine.backend";
    /** Environment variable that forces a backend by name (the property wins). */
    public static final String ENV = "ENGINE_BACKEND";

    /** The backends found, highest rank first, and the providers that failed to load (with why). */
    record Registry(List<Backend> backends, List<String> failures) {}

    private static volatile Registry registry;

    private Backends() {}

    private static Registry registry() {
        Registry r = registry;
        if (r == null) {
            synchronized (Backends.class) {
                if (registry == null) registry = load(ServiceLoader.load(Backend.class, Backends.class.getClassLoader()).iterator());
                r = registry;
            }
        }
        return r;
    }

    /**
     * Instantiates every provider; one whose class or constructor fails (say, a GPU backend whose native
     * library cannot load) is skipped and remembered, so the others still work.
     */
    static Registry load(Iterator<Backend> providers) {
        List<Backend> list = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        while (true) {
            try {
                if (!providers.hasNext()) break;
                list.add(providers.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                failures.add(e.getMessage() + " (" + cause + ")");
                if (failures.size() > 100) break; // a provider iterator that keeps failing
            }
        }
        list.sort(Comparator.comparingInt(Backend::rank).reversed());
        return new Registry(List.copyOf(list), List.copyOf(failures));
    }

    /** Every backend on the class path, highest rank first, available or not. */
    public static List<Backend> all() { return registry().backends(); }

    private static String found() {
        Registry r = registry();
        String names = r.backends().stream().map(b -> b.name() + (b.isAvailable() ? "" : " (unavailable: " + b.unavailableReason() + ")"))
                .collect(Collectors.joining(", "));
        if (names.isEmpty()) names = "none";
        return r.failures().isEmpty() ? names : names + "; providers that failed to load: " + String.join("; ", r.failures());
    }

    /** The backend named {@code name}; throws if it is unknown or unavailable (with its reason). */
    public static Backend get(String name) {
        if (name == null || name.isBlank()) throw new BackendUnavailableException("no backend name given; found: " + found());
        String want = name.trim().toLowerCase(Locale.ROOT);
        for (Backend b : all()) {
            if (b.name().equals(want)) {
                if (!b.isAvailable())
                    throw new BackendUnavailableException("backend '" + want + "' is unavailable: " + b.unavailableReason());
                return b;
            }
        }
        throw new BackendUnavailableException("unknown backend '" + name + "'; found: " + found());
    }

    /** The forced backend if {@code engine.backend}/{@code ENGINE_BACKEND} is set, else the best available. */
    public static Backend preferred() {
        String forced = System.getProperty(PROPERTY);
        if (forced == null || forced.isBlank()) forced = System.getenv(ENV);
        if (forced != null && !forced.isBlank()) return get(forced);
        for (Backend b : all()) if (b.isAvailable()) return b;
        throw new BackendUnavailableException("no backend is available; found: " + found());
    }

    /** The CPU backend, which every build has. */
    public static Backend cpu() { return get("cpu"); }
}
