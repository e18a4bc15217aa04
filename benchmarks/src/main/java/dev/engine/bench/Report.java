package dev.engine.bench;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns JMH rows, machine facts and the memory check into report.md (and chart.png through
 * {@link Chart}). Rows are grouped by benchmark class; in each class every {@code engine*} method is
 * compared with every {@code peer*} method of the same params. A ratio is the engine's speed over the
 * peer's (peer time / engine time): above 1 the engine is faster.
 */
final class Report {
    /** One engine-vs-peer comparison. */
    record Ratio(ResultRow engine, ResultRow peer, double value, double error) {
        String label() { return engine.simpleClass() + " " + engine.shortParams() + ": " + engine.method() + " / " + peer.method(); }
    }

    /** Work of one op from a class's optional {@code static double flopsPerOp(Map<String,String>)}; NaN if none. */
    static double flops(ResultRow r) {
        try {
            Method m = Class.forName(r.benchClass()).getMethod("flopsPerOp", Map.class);
            return ((Number) m.invoke(null, r.params())).doubleValue();
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return Double.NaN;
        }
    }

    static double gflops(ResultRow r) { return flops(r) / r.secondsPerOp() / 1e9; }

    /** Samples of one op from a class's optional {@code static double samplesPerOp(Map<String,String>)}; NaN if none. */
    static double samples(ResultRow r) {
        try {
            Method m = Class.forName(r.benchClass()).getMethod("samplesPerOp", Map.class);
            return ((Number) m.invoke(null, r.params())).doubleValue();
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return Double.NaN;
        }
    }

    static Suite suite(String benchClass) {
        try {
            return Class.forName(benchClass).getAnnotation(Suite.class);
        } catch (ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    /** Rows by class, in order of first appearance. */
    static Map<String, List<ResultRow>> byClass(List<ResultRow> rows) {
        Map<String, List<ResultRow>> m = new LinkedHashMap<>();
        for (ResultRow r : rows) m.computeIfAbsent(r.benchClass(), k -> new ArrayList<>()).add(r);
        return m;
    }

    /** The class's {@link Suite#baseline()} engine method, or "". */
    static String baseline(String benchClass) {
        Suite s = suite(benchClass);
        return s == null ? "" : s.baseline();
    }

    /** Every engine-vs-peer pair with equal params (and engine-vs-baseline, see {@link Suite#baseline()}). */
    static List<Ratio> ratios(List<ResultRow> rows) {
        List<Ratio> out = new ArrayList<>();
        for (ResultRow e : rows) {
            if (!e.isEngine()) continue;
            String base = baseline(e.benchClass());
            for (ResultRow p : rows) {
                boolean asBase = !base.isEmpty() && p.method().equals(base) && !e.method().equals(base);
                if (!(p.isPeer() || asBase) || !p.benchClass().equals(e.benchClass()) || !p.params().equals(e.params())) continue;
                double v = p.secondsPerOp() / e.secondsPerOp();
                double re = Math.hypot(e.relativeError(), p.relativeError());
                out.add(new Ratio(e, p, v, v * re));
            }
        }
        return out;
    }

    /** The best GFLOP/s of any row (the practical peak) and the row that reached it. */
    static ResultRow bestFlopsRow(List<ResultRow> rows) {
        ResultRow best = null;
        for (ResultRow r : rows) {
            double g = gflops(r);
            if (!Double.isNaN(g) && (best == null || g > gflops(best))) best = r;
        }
        return best;
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) return "n/a";
        double a = Math.abs(v);
        if (a >= 1000) return String.format(Locale.ROOT, "%.0f", v);
        if (a >= 100) return String.format(Locale.ROOT, "%.1f", v);
        if (a >= 1) return String.format(Locale.ROOT, "%.2f", v);
        return String.format(Locale.ROOT, "%.3f", v);
    }

    /** "met", "missed", or "inconclusive" when the error interval straddles the target. */
    static String status(double ratio, double error, double target) {
        if (!Double.isNaN(error) && Math.abs(ratio - target) < error)
            return (ratio >= target ? "met" : "missed") + " but inconclusive (error spans the target)";
        return ratio >= target ? "met" : "**missed**";
    }

    /** A warning when the 1-minute load at the start or end exceeded the visible CPUs; "" otherwise. */
    static String busyWarning(Map<String, String> facts) {
        double cpus = MiniJson.num(facts.get("logical CPUs visible to the JVM"));
        double worst = 0;
        for (String k : List.of("load average at start (1/5/15 min)", "load average at end (1/5/15 min)")) {
            String v = facts.get(k);
            if (v != null) worst = Math.max(worst, MiniJson.num(v.split(" ")[0]));
        }
        if (Double.isNaN(cpus) || worst <= cpus) return "";
        return "**Warning: the machine was busy (1-minute load up to " + fmt(worst) + " on " + count(cpus)
                + " CPUs). Other work competed for the cores, so these figures are noise-dominated; compare ratios, not absolutes, "
                + "and prefer a run on an idle machine.**";
    }

    static String count(Object o) {
        double v = MiniJson.num(o);
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%,d", Math.round(v));
    }

    /** For targets given as time ratios (e.g. frozen time <= 0.7x ORT's = speed ratio >= 1.429): the time form. */
    static String timeNote(double minSpeedRatio) {
        return minSpeedRatio > 1 ? String.format(Locale.ROOT, " (time ratio < %.3g)", 1 / minSpeedRatio).replace("< 1.00)", "< 1)") : "";
    }

    static String ratioText(Ratio r) {
        return String.format(Locale.ROOT, "%.3f", r.value()) + (Double.isNaN(r.error()) ? "" : String.format(Locale.ROOT, " ± %.3f", r.error()));
    }

    /** Writes report.md and chart.png into {@code dir}; returns the Markdown path. */
    static Path write(Path dir, List<ResultRow> rows, Map<String, String> facts, List<Map<String, Object>> memory,
                      List<Map<String, Object>> paired, String runLine) throws IOException {
        Files.createDirectories(dir);
        List<Ratio> ratios = ratios(rows);
        Chart.write(dir.resolve("chart.png"), rows, ratios);
        Path md = dir.resolve("report.md");
        Files.writeString(md, markdown(rows, facts, memory, paired, runLine, ratios));
        return md;
    }

    static String markdown(List<ResultRow> rows, Map<String, String> facts, List<Map<String, Object>> memory,
                           List<Map<String, Object>> paired, String runLine, List<Ratio> ratios) {
        StringBuilder b = new StringBuilder("# Engine benchmark report\n\n");
        b.append(runLine).append("\n\n");
        String busy = busyWarning(facts);
        if (!busy.isEmpty()) b.append(busy).append("\n\n");
        b.append("## Machine\n\n| fact | value |\n| --- | --- |\n");
        facts.forEach((k, v) -> b.append("| ").append(k).append(" | ").append(v.replace("|", "/")).append(" |\n"));

        ResultRow best = bestFlopsRow(rows);
        double peak = best == null ? Double.NaN : gflops(best);
        if (best != null)
            b.append("\nPractical FP32 peak = the best GFLOP/s measured in this run: **").append(fmt(peak)).append(" GFLOP/s** (")
                    .append(best.simpleClass()).append('.').append(best.method()).append(", ").append(best.paramText())
                    .append("). The hardware bound is the facts' measured FP32 FMA peak (register-only FMA chains on every core used); "
                            + "a kernel's share of that is how close it gets to the machine.\n");

        b.append("\n## Targets\n\n| target | measured | status |\n| --- | --- | --- |\n");
        int targets = 0;
        for (String cls : byClass(rows).keySet()) {
            Suite s = suite(cls);
            if (s == null) continue;
            for (Ratio r : ratios) {
                if (s.minRatio() <= 0 || !r.engine().benchClass().equals(cls) || !r.peer().method().equals(s.targetPeer())) continue;
                if (!s.targetEngine().isEmpty() && !r.engine().method().equals(s.targetEngine())) continue;
                if (s.targetParams().length > 0 && java.util.Arrays.stream(s.targetParams())
                        .noneMatch(p -> java.util.List.of(r.engine().paramText().split(", ")).contains(p))) continue;
                targets++;
                b.append("| ").append(r.engine().simpleClass()).append(' ').append(r.engine().paramText()).append(": ")
                        .append(r.engine().method()).append(" / ").append(r.peer().method()).append(" >= ").append(s.minRatio() == Math.rint(s.minRatio() * 100) / 100 ? String.valueOf(s.minRatio()) : fmt(s.minRatio()))
                        .append(timeNote(s.minRatio())).append(" | ").append(ratioText(r)).append(" | ").append(status(r.value(), r.error(), s.minRatio())).append(" |\n");
            }
            for (Ratio r : ratios) {
                if (s.baselineMinRatio() <= 0 || !r.engine().benchClass().equals(cls) || !r.peer().method().equals(s.baseline())) continue;
                targets++;
                b.append("| ").append(r.engine().simpleClass()).append(' ').append(r.engine().paramText()).append(": ")
                        .append(r.engine().method()).append(" / ").append(r.peer().method()).append(" >= ").append(fmt(s.baselineMinRatio()))
                        .append(timeNote(s.baselineMinRatio())).append(" | ").append(ratioText(r)).append(" | ")
                        .append(status(r.value(), r.error(), s.baselineMinRatio())).append(" |\n");
            }
            if (s.maxNanos() <= 0) continue;
            for (ResultRow r : rows) {
                if (!r.benchClass().equals(cls) || !r.isEngine()) continue;
                targets++;
                double ns = r.secondsPerOp() * 1e9;
                b.append("| ").append(r.simpleClass()).append(' ').append(r.paramText()).append(": ").append(r.method())
                        .append(" <= ").append(fmt(s.maxNanos())).append(" ns/op | ").append(fmt(ns)).append(" ns/op | ")
                        .append(ns <= s.maxNanos() ? "met" : "**missed**").append(" |\n");
            }
        }
        if (targets == 0) b.append("| (no targeted benchmark in this run) | | |\n");

        for (Map.Entry<String, List<ResultRow>> e : byClass(rows).entrySet()) section(b, e.getKey(), e.getValue(), ratios, peak);

        if (paired != null && !paired.isEmpty()) {
            b.append("\n## GEMM cross-check: interleaved medians (non-JMH)\n\nEngine, direct OpenBLAS and raw native calls alternate "
                    + "round by round in one JVM, so all three see the same background load; ratios are between medians "
                    + "(peer time / engine time).\n\n| n | rounds x calls | engine median (us) | direct median (us) | raw median (us) "
                    + "| engine / peerDirectOpenBlas | engine / peerRawNative |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            for (Map<String, Object> m : paired)
                b.append("| ").append(count(m.get("n"))).append(" | ").append(count(m.get("rounds"))).append(" x ")
                        .append(count(m.get("callsPerRound"))).append(" | ").append(fmt(MiniJson.num(m.get("engineMedianUs"))))
                        .append(" | ").append(fmt(MiniJson.num(m.get("directMedianUs")))).append(" | ")
                        .append(fmt(MiniJson.num(m.get("rawMedianUs")))).append(" | ")
                        .append(String.format(Locale.ROOT, "%.3f", MiniJson.num(m.get("engineOverDirect")))).append(" | ")
                        .append(String.format(Locale.ROOT, "%.3f", MiniJson.num(m.get("engineOverRaw")))).append(" |\n");
        }
        b.append("\n## Memory (native allocations, non-JMH check)\n\n");
        if (memory == null || memory.isEmpty()) b.append("Not run.\n");
        else {
            b.append("Each loop warms up, then runs the benchmark's engine call; counts come from `Backend.memoryStats()` deltas. "
                    + "RSS growth also catches native scratch that MemoryStats does not track (OpenBLAS, per-thread kernel scratch).\n\n");
            b.append("| loop | iterations | native allocations / iteration | live bytes delta | peak native bytes (process) | RSS delta (KiB) "
                    + "| live bytes before | live bytes after |\n");
            b.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            for (Map<String, Object> m : memory)
                b.append("| ").append(m.get("loop")).append(" | ").append(count(m.get("iterations")))
                        .append(" | ").append(fmt(MiniJson.num(m.get("allocationsPerIteration")))).append(" | ")
                        .append(count(m.get("liveBytesDelta"))).append(" | ").append(count(m.get("peakNativeBytes")))
                        .append(" | ").append(count(m.get("rssDeltaKiB"))).append(" | ").append(count(m.get("liveBytesBefore")))
                        .append(" | ").append(count(m.get("liveBytesAfter"))).append(" |\n");
        }
        b.append("\n## How to read this\n\n- Ratio columns `engine* / peer*`: the engine's speed over the peer's, i.e. peer time / engine time, "
                + "with both measured in this run and params equal; above 1 the engine is faster. The ± is the combined relative "
                + "99.9% JMH error of the two scores. Sample-time rows (p50/p99 columns) are compared by their medians.\n- Error `n/a`: too few iterations for JMH to give one (quick mode).\n"
                + "- `chart.png`: ratios on a log scale (top) and GFLOP/s (bottom).\n");
        return b.toString();
    }

    private static void section(StringBuilder b, String cls, List<ResultRow> rows, List<Ratio> ratios, double peak) {
        Suite s = suite(cls);
        String simple = rows.get(0).simpleClass();
        b.append("\n## ").append(s == null ? simple : s.title()).append(" (`").append(simple).append("`)\n\n");
        if (s != null && !s.note().isEmpty()) b.append(s.note()).append("\n\n");
        boolean hasFlops = rows.stream().anyMatch(r -> !Double.isNaN(flops(r)));
        boolean hasPct = rows.stream().anyMatch(ResultRow::hasPercentiles);
        boolean hasSamples = rows.stream().anyMatch(r -> !Double.isNaN(samples(r)));
        Set<String> peers = new LinkedHashSet<>();
        String base = baseline(cls);
        for (ResultRow r : rows) if (r.isPeer() || r.method().equals(base)) peers.add(r.method());
        b.append("| method | params | score | ± error | unit |");
        if (hasPct) b.append(" p50 | p99 |");
        if (hasSamples) b.append(" ms/op | samples/s |");
        if (hasFlops) b.append(" GFLOP/s | % of practical peak |");
        for (String p : peers) b.append(" engine / ").append(p).append(" |");
        b.append("\n|").append(" --- |".repeat(2)).append(" ---: |".repeat(2)).append(" --- |");
        b.append(" ---: |".repeat((hasPct ? 2 : 0) + (hasSamples ? 2 : 0) + (hasFlops ? 2 : 0) + peers.size())).append('\n');
        for (ResultRow r : rows) {
            b.append("| ").append(r.method()).append(" | ").append(r.paramText()).append(" | ").append(fmt(r.score()))
                    .append(" | ").append(fmt(r.error())).append(" | ").append(r.unit()).append(" |");
            if (hasPct) b.append(' ').append(fmt(r.hasPercentiles() ? r.p50() : Double.NaN)).append(" | ")
                    .append(fmt(r.hasPercentiles() ? r.p99() : Double.NaN)).append(" |");
            if (hasSamples) {
                double n = samples(r), sec = r.secondsPerOp();
                b.append(' ').append(fmt(sec * 1e3)).append(" | ").append(fmt(n / sec)).append(" |");
            }
            if (hasFlops) {
                double g = gflops(r);
                b.append(' ').append(fmt(g)).append(" | ").append(fmt(100 * g / peak)).append(" |");
            }
            for (String p : peers) {
                String cell = "";
                for (Ratio q : ratios) if (q.engine() == r && q.peer().method().equals(p)) cell = ratioText(q);
                b.append(' ').append(cell).append(" |");
            }
            b.append('\n');
        }
    }
}
