package dev.engine.autograd;

import dev.engine.api.EngineException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Opt-in per-op timing of the autograd engine on the current thread: forward and backward wall time and
 * call counts of every recorded op, while the profiler is open. When none is open the engine pays one
 * thread-local read per recorded op and per backward step.
 *
 * <p>Forward time of an op is the wall time since the previous recorded op (or {@link #start()}, or the
 * end of the last backward) finished, so it includes the Java glue that led to the op and any op that
 * recorded nothing (a no-grad view, say). Backward time of an op is the time of its gradient rule; summing
 * gradients that meet at one tensor and accumulating into leaves' {@code grad} are rows of their own.
 * {@link #span(String)} times any other section (an optimizer step, data loading).
 *
 * <pre>{@code
 * try (Profiler prof = Profiler.start()) {
 *     for (int i = 0; i < 20; i++) {
 *         try (MemoryScope s = MemoryScope.open()) {
 *             Tensor loss = lossFn.forward(model.forward(x), y);
 *             loss.backward();
 *             try (Profiler.Span sp = Profiler.span("adam step")) { opt.step(); }
 *         }
 *     }
 *     System.out.println(prof.table());
 * }
 * }</pre>
 */
public final class Profiler implements AutoCloseable {
    private static final ThreadLocal<Profiler> CURRENT = new ThreadLocal<>();

    /** Calls and total nanoseconds of one row. */
    public static final class Row {
        private long calls, nanos;

        public long calls() { return calls; }

        public long nanos() { return nanos; }
    }

    private final Map<String, Row> forward = new LinkedHashMap<>(), backward = new LinkedHashMap<>(), other = new LinkedHashMap<>();
    private final Thread thread = Thread.currentThread();
    private long mark = System.nanoTime();
    private boolean closed;

    private Profiler() {}

    /** Starts profiling on this thread; close it to stop. One profiler per thread at a time. */
    public static Profiler start() {
        if (CURRENT.get() != null) throw new EngineException("Profiler.start: a profiler is already open on this thread");
        Profiler p = new Profiler();
        CURRENT.set(p);
        return p;
    }

    /** The profiler open on this thread, or null. */
    static Profiler current() { return CURRENT.get(); }

    /** A timed section that shows as its own row; a no-op when no profiler is open on this thread. */
    public static Span span(String name) { return new Span(CURRENT.get(), name); }

    /** The timer of one {@link #span(String)}; closing it adds the elapsed time to the row. */
    public static final class Span implements AutoCloseable {
        private final Profiler p;
        private final String name;
        private final long t0;

        private Span(Profiler p, String name) { this.p = p; this.name = name; this.t0 = p == null ? 0 : System.nanoTime(); }

        @Override public void close() {
            if (p == null) return;
            long now = System.nanoTime();
            add(p.other, name, now - t0);
            p.mark = now;
        }
    }

    private static void add(Map<String, Row> m, String name, long nanos) {
        Row r = m.computeIfAbsent(name, k -> new Row());
        r.calls++;
        r.nanos += nanos;
    }

    /** A recorded forward op finished now. */
    void forwardOp(String name) {
        long now = System.nanoTime();
        add(forward, name, now - mark);
        mark = now;
    }

    /** Backward work of the given row, started at t0 (System.nanoTime). */
    void backwardOp(String name, long t0) {
        long now = System.nanoTime();
        add(backward, name, now - t0);
        mark = now;
    }

    /** Starts the forward clock afresh (after a section that is timed elsewhere). */
    void restartForwardClock() { mark = System.nanoTime(); }

    /** Forward rows by op name, in first-seen order. */
    public Map<String, Row> forward() { return forward; }

    /** Backward rows by op name (plus "sum of gradients" and "accumulate leaf grad"). */
    public Map<String, Row> backward() { return backward; }

    /** Rows of {@link #span(String)} sections. */
    public Map<String, Row> spans() { return other; }

    /** Forgets everything measured so far (e.g. after warm-up steps). */
    public void reset() {
        forward.clear();
        backward.clear();
        other.clear();
        mark = System.nanoTime();
    }

    /**
     * A table of every row, slowest first within forward, backward and spans: calls, total ms, us per
     * call, and % of the total; {@code perSteps} divides totals (e.g. ms per training step), 1 for none.
     */
    public String table(int perSteps) {
        long total = sum(forward) + sum(backward) + sum(other);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-10s %-28s %8s %12s %10s %6s%n", "phase", "op", "calls", "ms" + (perSteps > 1 ? "/step" : ""),
                "us/call", "%"));
        section(sb, "forward", forward, total, perSteps);
        section(sb, "backward", backward, total, perSteps);
        section(sb, "span", other, total, perSteps);
        sb.append(String.format(Locale.ROOT, "%-10s %-28s %8s %12.3f%n", "total", "", "", total / 1e6 / perSteps));
        return sb.toString();
    }

    /** {@link #table(int)} with totals not divided. */
    public String table() { return table(1); }

    private static long sum(Map<String, Row> m) {
        long s = 0;
        for (Row r : m.values()) s += r.nanos;
        return s;
    }

    private static void section(StringBuilder sb, String phase, Map<String, Row> m, long total, int perSteps) {
        List<Map.Entry<String, Row>> rows = new ArrayList<>(m.entrySet());
        rows.sort((a, b) -> Long.compare(b.getValue().nanos, a.getValue().nanos));
        for (Map.Entry<String, Row> e : rows) {
            Row r = e.getValue();
            sb.append(String.format(Locale.ROOT, "%-10s %-28s %8d %12.3f %10.1f %6.1f%n", phase, e.getKey(), r.calls / perSteps,
                    r.nanos / 1e6 / perSteps, r.nanos / 1e3 / Math.max(1, r.calls), total == 0 ? 0 : 100.0 * r.nanos / total));
        }
    }

    @Override public void close() {
        if (closed) return;
        if (Thread.currentThread() != thread) throw new EngineException("Profiler closed on another thread than it was started on");
        closed = true;
        CURRENT.remove();
    }
}
