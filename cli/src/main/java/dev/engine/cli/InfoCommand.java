package dev.engine.cli;

import dev.engine.api.Backend;
import dev.engine.api.Backends;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code engine info}: backends found, why any is unavailable, CPU facts, OpenBLAS core, threads. */
@Command(name = "info", description = "Show the backends found, why any is unavailable, CPU features, OpenBLAS core and threads.")
final class InfoCommand implements Callable<Integer> {
    @Override public Integer call() {
        print(System.out);
        return 0;
    }

    static void print(PrintStream out) {
        out.println("engine 0.1.0 on " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")
                + " (" + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores)");
        out.println("OPENBLAS_CORETYPE=" + System.getenv().getOrDefault("OPENBLAS_CORETYPE", "(unset)"));
        for (Backend b : Backends.all()) {
            if (b.isAvailable()) out.println("backend " + b.name() + " [available, rank " + b.rank() + "]: " + b.describe());
            else out.println("backend " + b.name() + " [unavailable]: " + b.unavailableReason());
        }
        try {
            out.println("preferred backend: " + Backends.preferred().name());
        } catch (RuntimeException e) {
            out.println("preferred backend: none (" + e.getMessage() + ")");
        }
    }
}
