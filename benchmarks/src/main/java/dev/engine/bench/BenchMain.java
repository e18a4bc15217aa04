package dev.engine.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the JMH suite programmatically and writes jmh.json (JMH's own result file), facts.json,
 * memory.json, paired.json, report.md and chart.png into one folder.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar --quick                      # seconds: smoke test of every benchmark
 * java -jar benchmarks/target/benchmarks.jar --full --include Gemm --out benchmarks/results
 * java -jar benchmarks/target/benchmarks.jar --from-json benchmarks/results   # re-render a report
 * </pre>
 */
public final class BenchMain {
    static final String USAGE = """
            usage: java -jar benchmarks.jar [--quick | --full] [--include REGEX]... [--param NAME=V1,V2]...
                                            [--backend NAME] [--out DIR] [--no-memory] [--no-paired] [--from-json DIR]
              --quick       1 warm-up x 100 ms, 2 x 150 ms measured, no fork (seconds; the CI smoke test)
              --full        1 fork, 3 x 1 s warm-up, 5 x 1 s measured (the default)
              --include     regex over benchmark names, e.g. Gemm or 'Gemm.*engine' (repeatable)
              --param       override a @Param, e.g. --param n=256,512
              --backend     value of every benchmark's 'backend' param (default cpu)
              --out         output folder (default bench-out)
              --no-memory   skip the native-allocation check
              --no-paired   skip the interleaved GEMM cross-check (runs when GemmBench ran)
              --from-json   re-render report.md and chart.png from DIR/jmh.json (+ facts.json, memory.json)
              quick mode runs InferenceBench at config=mlp:1,lenet:1 only, and skips it when the models are missing
            java -jar benchmarks.jar --fashion [--epochs N] [--lenet-epochs N] [--models mlp,lenet] [--data DIR] [--out DIR]
              trains on Fashion-MNIST and writes fashion.md (seconds per epoch, test accuracy)
            """;

    private BenchMain() {}

    /** Parsed command line. */
    record Args(boolean quick, List<String> includes, Map<String, String[]> params, Path out, boolean memory, boolean paired,
                Path fromJson, String command) {
        static Args parse(String[] argv) {
            boolean quick = false, memory = true, paired = true;
            List<String> inc = new ArrayList<>();
            Map<String, String[]> params = new LinkedHashMap<>();
            Path out = Path.of("bench-out"), from = null;
            for (int i = 0; i < argv.length; i++) {
                String a = argv[i];
                switch (a) {
                    case "--quick" -> quick = true;
                    case "--full" -> quick = false;
                    case "--no-memory" -> memory = false;
                    case "--no-paired" -> paired = false;
                    case "--include" -> inc.add(value(argv, ++i, a));
                    case "--out" -> out = Path.of(value(argv, ++i, a));
                    case "--from-json" -> from = Path.of(value(argv, ++i, a));
                    case "--backend" -> params.put("backend", new String[]{value(argv, ++i, a)});
                    case "--param" -> {
                        String p = value(argv, ++i, a);
                        int eq = p.indexOf('=');
                        if (eq < 1) throw new IllegalArgumentException("--param wants NAME=V1,V2, got " + p);
                        params.put(p.substring(0, eq), p.substring(eq + 1).split(","));
                    }
                    case "-h", "--help" -> throw new IllegalArgumentException("");
                    default -> throw new IllegalArgumentException("unknown argument " + a);
                }
            }
            return new Args(quick, inc, params, out, memory, paired, from, String.join(" ", argv));
        }

        private static String value(String[] argv, int i, String flag) {
            if (i >= argv.length) throw new IllegalArgumentException(flag + " needs a value");
            return argv[i];
        }
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length > 0 && argv[0].equals("--fashion")) {
            FashionRun.main(java.util.Arrays.copyOfRange(argv, 1, argv.length));
            return;
        }
        Args args;
        try {
            args = Args.parse(argv);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) System.err.println(e.getMessage());
            System.err.print(USAGE);
            System.exit(e.getMessage().isEmpty() ? 0 : 2);
            return;
        }
        try {
            Path md = run(args);
            System.out.println("report: " + md.toAbsolutePath());
        } catch (IllegalStateException e) {
            System.err.println("benchmark run failed: " + e.getMessage());
            System.exit(1);
        } catch (org.openjdk.jmh.runner.RunnerException e) {
            System.err.println("benchmark run failed: " + (e.getCause() != null ? e.getCause() : e));
            System.exit(1);
        }
    }

    /** Runs (or re-renders) and returns the Markdown report's path. */
    static Path run(Args args) throws Exception {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        if (args.fromJson() != null) return rerender(args.fromJson(), args.out());
        Path out = args.out();
        Files.createDirectories(out);
        Path json = out.resolve("jmh.json");
        Map<String, String> facts = MachineFacts.collect();
        long t0 = System.nanoTime();
        new Runner(options(args, json).build()).run();
        facts.put("load average at end (1/5/15 min)", MachineFacts.loadAverage());
        String backend = args.params().containsKey("backend") ? args.params().get("backend")[0] : "cpu";
        List<Map<String, Object>> memory = args.memory() ? MemoryCheck.run(backend, args.quick()) : List.of();
        boolean gemmRan = ResultRow.readJmhJson(json).stream().anyMatch(r -> r.simpleClass().equals("GemmBench"));
        List<Map<String, Object>> paired = gemmRan && args.paired() ? PairedCheck.gemm(new int[]{256, 512, 1024}, args.quick()) : List.of();
        facts.put("run", (args.quick() ? "quick: no fork, warm-up 1 x 100 ms, measured 2 x 150 ms"
                : "full: 1 fork, warm-up 3 x 1 s, measured 5 x 1 s") + "; arguments: `" + args.command() + "`; "
                + Math.round((System.nanoTime() - t0) / 1e9) + " s");
        Files.writeString(out.resolve("facts.json"), MiniJson.write(facts));
        Files.writeString(out.resolve("memory.json"), MiniJson.write(memory));
        Files.writeString(out.resolve("paired.json"), MiniJson.write(paired));
        return Report.write(out, ResultRow.readJmhJson(json), facts, memory, paired, runLine(facts));
    }

    static ChainedOptionsBuilder options(Args args, Path json) {
        ChainedOptionsBuilder ob = new OptionsBuilder()
                .resultFormat(ResultFormatType.JSON).result(json.toString()).shouldFailOnError(true);
        if (args.includes().isEmpty()) ob.include("dev\\.engine\\.bench\\.");
        for (String inc : args.includes()) ob.include(inc);
        if (!Models.available("mlp") || !Models.available("lenet")) {
            // InferenceBench needs the shared PyTorch models: the smoke test skips it, a full run fails up front
            if (args.quick()) {
                System.err.println("note: InferenceBench skipped (no models found: -Dengine.models=DIR or ../shared/data/models)");
                ob.exclude("InferenceBench");
            } else if (selects(args, "dev.engine.bench.InferenceBench.engineFrozen")) {
                Models.weights(Models.available("mlp") ? "lenet" : "mlp");   // throws, naming where it looked
            }
        }
        if (Models.dir() != null) ob.jvmArgsAppend("-Dengine.models=" + Models.dir());   // the forked JVM resolves the same folder
        if (args.quick() && !args.params().containsKey("config")) ob.param("config", "mlp:1", "lenet:1");   // smallest configs
        args.params().forEach(ob::param);
        if (args.quick())
            ob.forks(0).warmupIterations(1).warmupTime(TimeValue.milliseconds(100))
                    .measurementIterations(2).measurementTime(TimeValue.milliseconds(150));
        else
            ob.forks(1).warmupIterations(3).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(5).measurementTime(TimeValue.seconds(1)).timeout(TimeValue.minutes(2));
        return ob.shouldDoGC(false);
    }

    /** Whether the run's include patterns select {@code benchmark} (JMH matches them with find()). */
    static boolean selects(Args args, String benchmark) {
        if (args.includes().isEmpty()) return true;
        for (String inc : args.includes()) if (java.util.regex.Pattern.compile(inc).matcher(benchmark).find()) return true;
        return false;
    }

    private static String runLine(Map<String, String> facts) {
        return "Run: " + facts.getOrDefault("run", "unknown") + ". Machine load during the run is in the facts below; "
                + "on a shared 2-core machine, numbers taken while others compile are noisy.";
    }

    @SuppressWarnings("unchecked")
    private static Path rerender(Path dir, Path out) throws Exception {
        Map<String, String> facts = new LinkedHashMap<>();
        Path f = dir.resolve("facts.json");
        if (Files.exists(f)) ((Map<String, Object>) MiniJson.parse(Files.readString(f))).forEach((k, v) -> facts.put(k, String.valueOf(v)));
        Path target = out.equals(Path.of("bench-out")) ? dir : out;
        return Report.write(target, ResultRow.readJmhJson(dir.resolve("jmh.json")), facts, readRows(dir.resolve("memory.json")),
                readRows(dir.resolve("paired.json")), runLine(facts));
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> readRows(Path file) throws java.io.IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        if (Files.exists(file)) for (Object o : (List<Object>) MiniJson.parse(Files.readString(file))) rows.add((Map<String, Object>) o);
        return rows;
    }
}
