package dev.engine.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * One JMH result: {@code dev.engine.bench.GemmBench.engine} with its params, score, error and unit.
 * Scores of any mode and unit convert to seconds per op, so rows compare across units.
 */
record ResultRow(String benchClass, String method, Map<String, String> params, String mode,
                 double score, double error, String unit, double p50, double p99) {

    ResultRow(String benchClass, String method, Map<String, String> params, String mode, double score, double error, String unit) {
        this(benchClass, method, params, mode, score, error, unit, Double.NaN, Double.NaN);
    }

    /** Reads JMH's JSON result file. */
    static List<ResultRow> readJmhJson(Path file) throws IOException {
        Object root = MiniJson.parse(Files.readString(file));
        List<ResultRow> rows = new ArrayList<>();
        if (!(root instanceof List<?> list)) throw new IOException(file + ": not a JMH JSON result array");
        for (Object o : list) {
            Map<?, ?> m = (Map<?, ?>) o;
            String bench = (String) m.get("benchmark");
            int dot = bench.lastIndexOf('.');
            Map<String, String> params = new TreeMap<>();
            if (m.get("params") instanceof Map<?, ?> p) p.forEach((k, v) -> params.put(k.toString(), v.toString()));
            Map<?, ?> pm = (Map<?, ?>) m.get("primaryMetric");
            double p50 = Double.NaN, p99 = Double.NaN;
            if (pm.get("scorePercentiles") instanceof Map<?, ?> pc) {
                p50 = MiniJson.num(pc.get("50.0"));
                p99 = MiniJson.num(pc.get("99.0"));
            }
            rows.add(new ResultRow(bench.substring(0, dot), bench.substring(dot + 1), params, String.valueOf(m.get("mode")),
                    MiniJson.num(pm.get("score")), MiniJson.num(pm.get("scoreError")), String.valueOf(pm.get("scoreUnit")), p50, p99));
        }
        return rows;
    }

    String simpleClass() { return benchClass.substring(benchClass.lastIndexOf('.') + 1); }

    boolean isEngine() { return method.startsWith("engine"); }

    boolean isPeer() { return method.startsWith("peer"); }

    /** "n=256, backend=cpu" in a stable order. */
    String paramText() {
        return params.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }

    /** Params without the default backend, for labels: "n=256". */
    String shortParams() {
        return params.entrySet().stream().filter(e -> !(e.getKey().equals("backend") && e.getValue().equals("cpu")))
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }

    /** Sample-time rows ("sample" mode) with percentiles: the report shows p50/p99 and compares medians. */
    boolean hasPercentiles() { return mode.equals("sample") && !Double.isNaN(p50); }

    /**
     * Seconds per op for time units ("us/op") and throughput units ("ops/ms"); NaN if unknown. For
     * sample-time rows this is the median (p50), not the mean, so one slow outlier does not move ratios.
     */
    double secondsPerOp() {
        if (unit.endsWith("/op")) return (hasPercentiles() ? p50 : score) * seconds(unit.substring(0, unit.length() - 3));
        if (unit.startsWith("ops/")) return seconds(unit.substring(4)) / score;
        return Double.NaN;
    }

    /** Error relative to the score (NaN when JMH had too few iterations to give one). */
    double relativeError() { return score == 0 ? Double.NaN : Math.abs(error / score); }

    /** p99 in seconds per op (NaN without percentiles). */
    double p99SecondsPerOp() {
        return hasPercentiles() && unit.endsWith("/op") ? p99 * seconds(unit.substring(0, unit.length() - 3)) : Double.NaN;
    }

    private static double seconds(String u) {
        return switch (u) {
            case "ns" -> 1e-9;
            case "us" -> 1e-6;
            case "ms" -> 1e-3;
            case "s" -> 1;
            case "min" -> 60;
            default -> Double.NaN;
        };
    }
}
