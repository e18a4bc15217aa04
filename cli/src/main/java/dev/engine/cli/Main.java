package dev.engine.cli;

import dev.engine.api.EngineException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code engine} command: info, train, eval, predict, tune, bench.
 *
 * <pre>
 * engine info
 * engine train --data digits --model mlp --epochs 30 --out digits.model
 * engine train --config train.properties --epochs 5     # file supplies defaults, the command line wins
 * </pre>
 */
@Command(name = "engine", mixinStandardHelpOptions = true, version = "engine 0.1.0",
        description = "A native-accelerated deep-learning engine for the JVM.",
        subcommands = {InfoCommand.class, TrainCommand.class, EvalCommand.class, PredictCommand.class, TuneCommand.class, BenchCommand.class, ImportCommand.class})
public final class Main implements Runnable {
    @Override public void run() { CommandLine.usage(this, System.out); }

    public static void main(String[] args) { System.exit(run(args)); }

    /** Runs a command line and returns its exit code; errors print as one "engine: ..." line. */
    static int run(String... args) {
        CommandLine cl = new CommandLine(new Main()).setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("engine: " + ex.getMessage());
            if (System.getenv("ENGINE_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return 1;
        });
        try {
            Path config = configFile(args);
            if (config != null) cl.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(config.toFile()));
        } catch (EngineException e) {
            cl.getErr().println("engine: " + e.getMessage());
            return 2;
        }
        return cl.execute(args);
    }

    /**
     * The {@code --config FILE} argument, if any: Java properties whose keys are option names without
     * dashes ({@code epochs=30}, {@code batch-size=64}), used as defaults that the command line overrides.
     */
    static Path configFile(String... args) {
        for (int i = 0; i < args.length; i++) {
            if (!args[i].equals("--config")) continue;
            if (i + 1 >= args.length) throw new EngineException("--config needs a file");
            Path file = Path.of(args[i + 1]);
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) throw new EngineException("--config: " + file + " is not a readable file");
            return file;
        }
        return null;
    }
}
