package dev.engine.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code engine} command: info, train, eval, predict, tune, bench.
 *
 * <pre>
 * engine info
 * engine train --data digits --model mlp --epochs 30 --out digits.model
 * </pre>
 */
@Command(name = "engine", mixinStandardHelpOptions = true, version = "engine 0.1.0",
        description = "A native-accelerated deep-learning engine for the JVM.",
        subcommands = {InfoCommand.class})
public final class Main implements Runnable {
    @Override public void run() { CommandLine.usage(this, System.out); }

    public static void main(String[] args) {
        int code = new CommandLine(new Main())
                .setExecutionExceptionHandler((ex, cmd, parsed) -> {
                    cmd.getErr().println("engine: " + ex.getMessage());
                    if (System.getenv("ENGINE_DEBUG") != null) ex.printStackTrace(cmd.getErr());
                    return 1;
                })
                .execute(args);
        System.exit(code);
    }
}
