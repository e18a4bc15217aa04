package dev.engine.cli;

import dev.engine.api.EngineException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The {@code engine} command: info, train, eval, predict, tune, bench.
 *
 * <pre>
 * engine info
 * engine train --data digits --model mlp --epochs 30 --out digits.model
 * engine train --config=train.properties --epochs 5     # file supplies defaults, the command line wins
 * </pre>
 */
@Command(name = "engine", mixinStandardHelpOptions = true, version = "engine 0.1.0",
        description = "A native-accelerated deep-learning engine for the JVM.",
        subcommands = {InfoCommand.class, TrainCommand.class, EvalCommand.class, PredictCommand.class, TuneCommand.class, BenchCommand.class,
                ImportCommand.class, QuantizeCommand.class, CommandLine.HelpCommand.class})
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
        cl.getSubcommands().get("bench").setUnmatchedOptionsArePositionalParams(true);   // --quick, --full go to the runner
        try {
            Path config = configFile(args);
            if (config != null) cl.setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(configProperties(cl, config, args)));
        } catch (EngineException e) {
            cl.getErr().println("engine: " + e.getMessage());
            return 2;
        }
        return cl.execute(args);
    }

    /**
     * The {@code --config FILE} (or {@code --config=FILE}) argument, if any: Java properties whose keys are
     * option names without dashes ({@code epochs=30}, {@code batch-size=64}), used as defaults that the
     * command line overrides.
     */
    static Path configFile(String... args) {
        for (int i = 0; i < args.length; i++) {
            String value;
            if (args[i].equals("--config")) {
                if (i + 1 >= args.length) throw new EngineException("--config needs a file");
                value = args[i + 1];
            } else if (args[i].startsWith("--config=")) {
                value = args[i].substring("--config=".length());
            } else {
                continue;
            }
            if (value.isEmpty()) throw new EngineException("--config needs a file");
            Path file = Path.of(value);
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) throw new EngineException("--config: " + file + " is not a readable file");
            return file;
        }
        return null;
    }

    /** The file's properties; a key that is no option of the command being run is an error naming it. */
    private static Properties configProperties(CommandLine cl, Path file, String... args) {
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw new EngineException("--config: cannot read " + file + ": " + e.getMessage(), e);
        }
        CommandLine sub = args.length > 0 ? cl.getSubcommands().get(args[0]) : null;
        if (sub == null) throw new EngineException("--config goes after a command, e.g. engine train --config " + file);
        Set<String> known = new TreeSet<>();
        for (OptionSpec o : sub.getCommandSpec().options()) known.add(o.longestName().replaceFirst("^-+", ""));
        known.removeAll(Set.of("help", "version", "config"));
        for (String key : props.stringPropertyNames()) {
            if (!known.contains(key))
                throw new EngineException("--config " + file + ": unknown key '" + key + "' for engine " + args[0] + " (known: " + String.join(", ", known) + ")");
        }
        return props;
    }
}
