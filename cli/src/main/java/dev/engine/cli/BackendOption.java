package dev.engine.cli;

import dev.engine.api.Backend;
import dev.engine.api.Backends;
import picocli.CommandLine.Option;

/**
 * {@code --backend NAME}: the backend a command runs on (cpu, cuda); default the best available one
 * ({@code -Dengine.backend} / {@code ENGINE_BACKEND} still apply). An unavailable backend fails the
 * command with its reason before any work starts.
 */
final class BackendOption {
    @Option(names = "--backend", description = "cpu or cuda (default: the best available; see 'engine info')")
    String name;

    /** Makes the chosen backend the process default for this command and returns it. */
    Backend apply() {
        if (name == null || name.isBlank()) return Backends.preferred();
        Backend b = Backends.get(name.trim());   // throws BackendUnavailableException with the reason
        System.setProperty(Backends.PROPERTY, b.name());
        return b;
    }
}
