package dev.engine.train.search;

import dev.engine.api.EngineException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One configuration of a search: an id (its position in the search), a seed derived from the search seed
 * and the id (use it for model initialisation and data order so that the trial is reproducible), and the
 * parameter values in the order the {@link SearchSpace} declares them. Typed getters convert where that
 * is lossless: an Integer reads as a double, a whole Double as an int, a single int as an int[1].
 *
 * <pre>{@code
 * Trial t = space.sample(0, seed);
 * double lr = t.getDouble("lr");
 * int batch = t.getInt("batch");
 * int[] hidden = t.getIntArray("hidden");          // "hidden=choice:64,128" reads as {64} or {128}
 * double wd = t.getDouble("weight_decay", 0.0);   // default when the space has no such parameter
 * Module m = buildModel(hidden, new Generator(t.seed()));
 * }</pre>
 */
public final class Trial {
    private final int id;
    private final long seed;
    private final Map<String, Object> params;

    /** A trial; values are copied (arrays too) and must be numbers, booleans, strings, int[] or double[]. */
    public Trial(int id, long seed, Map<String, ?> params) {
        this.id = id;
        this.seed = seed;
        Map<String, Object> copy = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : params.entrySet()) copy.put(e.getKey(), Values.copy(e.getValue()));
        this.params = Collections.unmodifiableMap(copy);
    }

    /** The position of this trial in its search (0, 1, 2, ...). */
    public int id() { return id; }

    /** A seed for this trial, derived from the search seed and the id. */
    public long seed() { return seed; }

    /** The values by name, in declaration order; array values are copies. */
    public Map<String, Object> params() {
        Map<String, Object> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, Values.copy(v)));
        return out;
    }

    public boolean has(String name) { return params.containsKey(name); }

    /** The raw value (a copy for arrays); throws naming the known parameters when absent. */
    public Object get(String name) {
        Object v = params.get(name);
        if (v == null) throw new EngineException("trial " + id + " has no parameter '" + name + "'; it has " + params.keySet());
        return Values.copy(v);
    }

    public double getDouble(String name) {
        Object v = get(name);
        if (v instanceof Number n) return n.doubleValue();
        throw mismatch(name, v, "a number");
    }

    public double getDouble(String name, double otherwise) { return has(name) ? getDouble(name) : otherwise; }

    public long getLong(String name) {
        Object v = get(name);
        if (v instanceof Integer || v instanceof Long) return ((Number) v).longValue();
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 9e15) return (long) (double) d;
        throw mismatch(name, v, "an integer");
    }

    public int getInt(String name) {
        long v = getLong(name);
        if (v != (int) v) throw mismatch(name, v, "an int");
        return (int) v;
    }

    public int getInt(String name, int otherwise) { return has(name) ? getInt(name) : otherwise; }

    /** An int[] value, or a single integer as a one-element array. */
    public int[] getIntArray(String name) {
        Object v = get(name);
        if (v instanceof int[] a) return a;
        if (v instanceof double[] d) {
            int[] a = new int[d.length];
            for (int i = 0; i < d.length; i++) {
                if (d[i] != Math.rint(d[i])) throw mismatch(name, v, "integers");
                a[i] = (int) d[i];
            }
            return a;
        }
        if (v instanceof Number) return new int[] {getInt(name)};
        throw mismatch(name, v, "an int array");
    }

    public int[] getIntArray(String name, int[] otherwise) { return has(name) ? getIntArray(name) : otherwise.clone(); }

    /** A double[] value, or a single number (or int[]) converted. */
    public double[] getDoubleArray(String name) {
        Object v = get(name);
        if (v instanceof double[] a) return a;
        if (v instanceof int[] a) {
            double[] d = new double[a.length];
            for (int i = 0; i < a.length; i++) d[i] = a[i];
            return d;
        }
        if (v instanceof Number n) return new double[] {n.doubleValue()};
        throw mismatch(name, v, "a number array");
    }

    /** A string value, or the text form of any other value. */
    public String getString(String name) {
        Object v = get(name);
        return v instanceof String s ? s : Values.format(v);
    }

    public String getString(String name, String otherwise) { return has(name) ? getString(name) : otherwise; }

    public boolean getBoolean(String name) {
        Object v = get(name);
        if (v instanceof Boolean b) return b;
        if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) return Boolean.parseBoolean(s);
        throw mismatch(name, v, "a boolean");
    }

    public boolean getBoolean(String name, boolean otherwise) { return has(name) ? getBoolean(name) : otherwise; }

    /** A value's exact text (what the CSV holds), e.g. "0.001", "[128,64]", "adam". */
    public String format(String name) { return Values.format(get(name)); }

    /** A value's short text for tables (doubles to 4 significant digits). */
    public String display(String name) { return Values.display(get(name)); }

    private EngineException mismatch(String name, Object v, String wanted) {
        return new EngineException("trial " + id + ": parameter '" + name + "' is " + Values.format(v) + ", not " + wanted);
    }

    /** Same parameter values (arrays by content); the id and seed are not compared. */
    public boolean sameParams(Trial other) {
        if (!params.keySet().equals(other.params.keySet())) return false;
        for (Map.Entry<String, Object> e : params.entrySet()) if (!Values.equal(e.getValue(), other.params.get(e.getKey()))) return false;
        return true;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Trial t && t.id == id && t.seed == seed && sameParams(t);
    }

    @Override public int hashCode() {
        int h = Integer.hashCode(id) * 31 + Long.hashCode(seed);
        for (Map.Entry<String, Object> e : params.entrySet()) h = h * 31 + e.getKey().hashCode() * 17 + Values.hash(e.getValue());
        return h;
    }

    /** {@code #3 lr=0.001 batch=32 hidden=[128,64]} */
    @Override public String toString() {
        StringBuilder sb = new StringBuilder("#").append(id);
        params.forEach((k, v) -> sb.append(' ').append(k).append('=').append(Values.display(v)));
        return sb.toString();
    }
}
