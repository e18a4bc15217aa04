package dev.engine.cli;

import dev.engine.api.EngineException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code engine bench}: hands off to the JMH suite (benchmarks/target/benchmarks.jar) with the given arguments. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run the JMH benchmark suite: engine bench --quick | --full [--include REGEX] [--out DIR]")
final class BenchCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", description = "Arguments for the benchmark runner")
    List<String> args = new ArrayList<>();

    @Override public Integer call() throws Exception {
        String home = System.getProperty("engine.home", ".");
        Path jar = Path.of(home, "benchmarks", "target", "benchmarks.jar");
        if (!Files.exists(jar))
            throw new EngineException("bench: " + jar + " not found; build it with: mvn -q -DskipTests package -pl benchmarks -am");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }
}
