package dev.engine.train.search;

import dev.engine.api.EngineException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * One named dimension of a {@link SearchSpace}: a categorical {@link Choice}, a continuous {@link Uniform}
 * or {@link LogUniform} range, or an {@link IntRange} (optionally log-scaled). Each maps a quantile
 * {@code u} in [0, 1) to a value ({@link #at}), which is how random search samples it, and lists grid
 * points ({@link #grid}). Continuous ranges have no natural grid: they need a resolution, given per
 * parameter ({@code gridPoints}) or for the whole grid search.
 *
 * <p>Text form (what {@link #spec()} writes and {@link #parse} reads), for a command line:
 * <pre>{@code
 * Param.parse("lr=loguniform:1e-4:1e-1")       // log-uniform; grid resolution from the search
 * Param.parse("lr=loguniform:1e-4:1e-1:4")     // ... with 4 grid points: 1e-4, 1e-3, 1e-2, 1e-1
 * Param.parse("dropout=uniform:0:0.5")
 * Param.parse("hidden=choice:64,128,256")      // ints; "choice:[128,64],[256]" are int[] choices
 * Param.parse("optimizer=choice:adam,sgd")     // strings
 * Param.parse("layers=int:1:3")                // 1, 2 or 3 (inclusive)
 * Param.parse("width=logint:16:512")           // integers, uniform in log space
 * Param.parse("epochs=5")                      // a constant (a choice of one)
 * }</pre>
 */
public sealed interface Param permits Param.Choice, Param.Uniform, Param.LogUniform, Param.IntRange {
    /** The kinds {@link #parse} knows. */
    List<String> KINDS = List.of("choice", "uniform", "loguniform", "log", "int", "logint");

    /** The parameter's name. */
    String name();

    /** The value at quantile {@code u} in [0, 1): uniform {@code u} gives this parameter's distribution. */
    Object at(double u);

    /**
     * The grid points: all choices; for ranges {@code resolution} evenly spaced points including both ends
     * (in log space for log ranges); the parameter's own {@code gridPoints} win over {@code resolution}.
     * An integer range without any resolution lists every integer. Throws for a continuous range when
     * neither is given ({@code resolution <= 0}).
     */
    List<Object> grid(int resolution);

    /** The text form, {@code name=kind:args}, which {@link #parse} reads back. */
    String spec();

    /** Parses {@code name=kind:args} (see the class comment); errors name the spec and what was wrong. */
    static Param parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0) throw new EngineException("parameter spec '" + spec + "': expected name=kind:args, e.g. lr=loguniform:1e-4:1e-1");
        String name = spec.substring(0, eq).trim();
        String body = spec.substring(eq + 1).trim();
        int colon = body.indexOf(':');
        String kind = colon < 0 ? "" : body.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String[] args = colon < 0 ? new String[0] : body.substring(colon + 1).split(":", -1);
        try {
            switch (kind) {
                case "choice": {
                    List<Object> values = new ArrayList<>();
                    for (String t : Values.splitTopLevel(body.substring(colon + 1))) values.add(Values.parse(t));
                    return new Choice(name, values);
                }
                case "uniform":
                    range(args, 2, 3);
                    return new Uniform(name, Values.parseDouble(args[0]), Values.parseDouble(args[1]), args.length > 2 ? Values.parseInt(args[2]) : 0);
                case "loguniform": case "log":
                    range(args, 2, 3);
                    return new LogUniform(name, Values.parseDouble(args[0]), Values.parseDouble(args[1]), args.length > 2 ? Values.parseInt(args[2]) : 0);
                case "int": case "logint":
                    range(args, 2, 3);
                    return new IntRange(name, Values.parseInt(args[0]), Values.parseInt(args[1]), kind.equals("logint"), args.length > 2 ? Values.parseInt(args[2]) : 0);
                default:
                    if (colon < 0 && !KINDS.contains(body.toLowerCase(Locale.ROOT))) return new Choice(name, List.of(Values.parse(body)));
                    if (colon < 0) throw new EngineException("'" + body + "' needs arguments, e.g. " + name + "=" + body + ":...");
                    throw new EngineException("unknown kind '" + kind + "' (choice, uniform, loguniform, int, logint; "
                            + "a constant with ':' is written choice:VALUE)");
            }
        } catch (IllegalArgumentException | EngineException e) {
            throw new EngineException("parameter spec '" + spec + "': " + e.getMessage(), e);
        }
    }

    private static void range(String[] args, int min, int max) {
        if (args.length < min || args.length > max) {
            throw new EngineException("expected low:high[:gridPoints], got " + args.length + " fields");
        }
    }

    private static void checkName(String name) {
        if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_.\\-]*")) {
            throw new EngineException("invalid parameter name '" + name + "' (letters, digits, _ . -; not starting with a digit)");
        }
    }

    private static void checkPoints(int gridPoints) {
        if (gridPoints < 0) throw new EngineException("grid points " + gridPoints + " must be >= 0 (0: from the search)");
    }

    private static int points(String name, int own, int resolution) {
        int n = own > 0 ? own : resolution;
        if (n <= 0) throw new EngineException("parameter '" + name + "' is a continuous range: a grid needs a resolution "
                + "(a grid resolution for the search, or gridPoints on the parameter, e.g. " + name + "=loguniform:1e-4:1e-1:4)");
        return n;
    }

    /** Evenly spaced points in [lo, hi] including both ends; one point is the middle. */
    private static double[] linspace(double lo, double hi, int n) {
        double[] p = new double[n];
        if (n == 1) { p[0] = (lo + hi) / 2; return p; }
        for (int i = 0; i < n; i++) p[i] = i == n - 1 ? hi : lo + (hi - lo) * i / (n - 1);
        return p;
    }

    /** A categorical choice among explicit values (numbers, booleans, strings, int[] or double[]). */
    record Choice(String name, List<Object> values) implements Param {
        public Choice {
            checkName(name);
            if (values == null || values.isEmpty()) throw new EngineException("choice '" + name + "' needs at least one value");
            List<Object> copy = new ArrayList<>();
            for (Object v : values) {
                Object c = Values.copy(v);
                for (Object o : copy) if (Values.equal(o, c)) throw new EngineException("choice '" + name + "' lists " + Values.format(c) + " twice");
                copy.add(c);
            }
            values = List.copyOf(copy);
        }

        @Override public Object at(double u) { return Values.copy(values.get(Math.min(values.size() - 1, (int) (u * values.size())))); }

        @Override public List<Object> grid(int resolution) {
            List<Object> out = new ArrayList<>();
            for (Object v : values) out.add(Values.copy(v));
            return out;
        }

        @Override public String spec() {
            if (values.size() == 1 && !(values.get(0) instanceof String s && (s.contains(":") || KINDS.contains(s.toLowerCase(Locale.ROOT))))) return name + "=" + Values.format(values.get(0));
            StringBuilder sb = new StringBuilder(name).append("=choice:");
            for (int i = 0; i < values.size(); i++) sb.append(i == 0 ? "" : ",").append(Values.format(values.get(i)));
            return sb.toString();
        }
    }

    /** A real number uniform in [low, high]; {@code gridPoints} 0 takes the grid resolution from the search. */
    record Uniform(String name, double low, double high, int gridPoints) implements Param {
        public Uniform {
            checkName(name);
            checkPoints(gridPoints);
            if (!(Double.isFinite(low) && Double.isFinite(high) && low <= high)) {
                throw new EngineException("uniform '" + name + "': need finite low <= high, got " + low + ", " + high);
            }
        }

        @Override public Object at(double u) { return Math.min(high, low + (high - low) * u); }

        @Override public List<Object> grid(int resolution) {
            List<Object> out = new ArrayList<>();
            for (double v : linspace(low, high, points(name, gridPoints, resolution))) out.add(v);
            return out;
        }

        @Override public String spec() {
            return name + "=uniform:" + Values.formatDouble(low) + ":" + Values.formatDouble(high) + (gridPoints > 0 ? ":" + gridPoints : "");
        }
    }

    /** A positive real number whose logarithm is uniform in [log low, log high] (learning rates, weight decay). */
    record LogUniform(String name, double low, double high, int gridPoints) implements Param {
        public LogUniform {
            checkName(name);
            checkPoints(gridPoints);
            if (!(Double.isFinite(low) && Double.isFinite(high) && low > 0 && low <= high)) {
                throw new EngineException("loguniform '" + name + "': need finite 0 < low <= high, got " + low + ", " + high);
            }
        }

        @Override public Object at(double u) {
            double v = Math.exp(Math.log(low) + (Math.log(high) - Math.log(low)) * u);
            return Math.max(low, Math.min(high, v));
        }

        @Override public List<Object> grid(int resolution) {
            List<Object> out = new ArrayList<>();
            double[] p = linspace(Math.log(low), Math.log(high), points(name, gridPoints, resolution));
            for (int i = 0; i < p.length; i++) {
                // exact ends, and points that are powers of ten print as such (1e-3, not 0.0010000000000000002)
                double v = p.length > 1 && i == 0 ? low : p.length > 1 && i == p.length - 1 ? high : Math.exp(p[i]);
                double r = Double.parseDouble(String.format(Locale.ROOT, "%.12g", v));
                out.add(r);
            }
            return out;
        }

        @Override public String spec() {
            return name + "=loguniform:" + Values.formatDouble(low) + ":" + Values.formatDouble(high) + (gridPoints > 0 ? ":" + gridPoints : "");
        }
    }

    /**
     * An integer uniform in [low, high] (inclusive), or uniform in log space when {@code log}. With no grid
     * resolution its grid is every integer; with one, that many evenly spaced integers (duplicates removed).
     */
    record IntRange(String name, int low, int high, boolean log, int gridPoints) implements Param {
        public IntRange {
            checkName(name);
            checkPoints(gridPoints);
            if (low > high) throw new EngineException("int range '" + name + "': low " + low + " > high " + high);
            if (log && low <= 0) throw new EngineException("logint '" + name + "': low must be > 0, got " + low);
        }

        @Override public Object at(double u) {
            if (!log) return (int) Math.min(high, low + (long) Math.floor(u * ((long) high - low + 1)));
            double v = Math.exp(Math.log(low) + (Math.log(high + 1.0) - Math.log(low)) * u);
            return (int) Math.max(low, Math.min(high, Math.floor(v)));
        }

        @Override public List<Object> grid(int resolution) {
            int n = gridPoints > 0 ? gridPoints : resolution;
            LinkedHashSet<Object> out = new LinkedHashSet<>();
            if (n <= 0 || n >= (long) high - low + 1) {
                if ((long) high - low + 1 > 1_000_000) throw new EngineException("int range '" + name + "' has too many values for a grid; give a resolution");
                for (long v = low; v <= high; v++) out.add((int) v);
            } else {
                double[] p = log ? linspace(Math.log(low), Math.log(high), n) : linspace(low, high, n);
                for (double v : p) out.add((int) Math.max(low, Math.min(high, Math.round(log ? Math.exp(v) : v))));
            }
            return new ArrayList<>(out);
        }

        @Override public String spec() {
            return name + "=" + (log ? "logint:" : "int:") + low + ":" + high + (gridPoints > 0 ? ":" + gridPoints : "");
        }
    }
}
