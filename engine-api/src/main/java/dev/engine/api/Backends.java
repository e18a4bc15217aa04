package dev.engine.api;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
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

    private static volatile List<Backend> all;

    private Backends() {}

    /** Every backend on the class path, highest rank first, available or not. */
    public static List<Backend> all() {
        List<Backend> found = all;
        if (found == null) {
            synchronized (Backends.class) {
                if (all == null) {
                    List<Backend> list = new ArrayList<>();
                    for (Backend b : ServiceLoader.load(Backend.class, Backends.class.getClassLoader())) list.add(b);
                    list.sort(Comparator.comparingInt(Backend::rank).reversed());
                    all = List.copyOf(list);
                }
                found = all;
            }
        }
        return found;
    }

    /** The backend named {@code name}; throws if it is unknown or unavailable (with its reason). */
    public static Backend get(String name) {
        String want = name.trim().toLowerCase(Locale.ROOT);
        for (Backend b : all()) {
            if (b.name().equals(want)) {
                if (!b.isAvailable())
                    throw new BackendUnavailableException("backend '" + want + "' is unavailable: " + b.unavailableReason());
                return b;
            }
        }
        throw new BackendUnavailableException("unknown backend '" + name + "'; found: "
                + all().stream().map(Backend::name).collect(Collectors.joining(", ")));
    }

    /** The forced backend if {@code engine.backend}/{@code ENGINE_BACKEND} is set, else the best available. */
    public static Backend preferred() {
        String forced = System.getProperty(PROPERTY);
        if (forced == null || forced.isBlank()) forced = System.getenv(ENV);
        if (forced != null && !forced.isBlank()) return get(forced);
        for (Backend b : all()) if (b.isAvailable()) return b;
        throw new BackendUnavailableException("no backend is available; found: " + all().stream()
                .map(b -> b.name() + " (" + b.unavailableReason() + ")").collect(Collectors.joining(", ")));
    }

    /** The CPU backend, which every build has. */
    public static Backend cpu() { return get("cpu"); }
}
