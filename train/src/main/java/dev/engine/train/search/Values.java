package dev.engine.train.search;

import dev.engine.api.EngineException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Parsing and formatting of parameter values (numbers, booleans, strings, int/double arrays). */
final class Values {
    private Values() {}

    /**
     * A value from its text: {@code [a,b]} is an int[] (or a double[] if any element is not an integer),
     * an integer is an Integer (Long when too large), a number a Double, true/false a Boolean, anything else
     * the String itself.
     */
    static Object parse(String token) {
        String t = token.trim();
        if (t.isEmpty()) throw new EngineException("empty value");
        if (t.startsWith("[") && t.endsWith("]")) {
            String inner = t.substring(1, t.length() - 1).trim();
            if (inner.isEmpty()) return new int[0];
            String[] parts = inner.split(",");
            boolean ints = true;
            for (String p : parts) ints &= isInteger(p.trim());
            if (ints) {
                int[] a = new int[parts.length];
                for (int i = 0; i < a.length; i++) a[i] = Integer.parseInt(parts[i].trim());
                return a;
            }
            double[] d = new double[parts.length];
            for (int i = 0; i < d.length; i++) d[i] = parseDouble(parts[i].trim());
            return d;
        }
        if (isInteger(t)) {
            long v = Long.parseLong(t);
            return v == (int) v ? (Object) (int) v : (Object) v;
        }
        if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) return Boolean.parseBoolean(t);
        try {
            if (t.matches("[-+0-9.eE]+")) return Double.parseDouble(t);
        } catch (NumberFormatException ignored) {
            // fall through: a string
        }
        return t;
    }

    static double parseDouble(String t) {
        try {
            return Double.parseDouble(t.trim());
        } catch (NumberFormatException e) {
            throw new EngineException("not a number: '" + t + "'");
        }
    }

    static int parseInt(String t) {
        try {
            return Integer.parseInt(t.trim());
        } catch (NumberFormatException e) {
            throw new EngineException("not an integer: '" + t + "'");
        }
    }

    private static boolean isInteger(String t) {
        if (!t.matches("[-+]?[0-9]{1,18}")) return false;
        return true;
    }

    /** Splits on commas that are not inside brackets. */
    static List<String> splitTopLevel(String s) {
        List<String> out = new ArrayList<>();
        int depth = 0, start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '[') depth++;
            else if (c == ']') depth--;
            else if (c == ',' && depth == 0) { out.add(s.substring(start, i)); start = i + 1; }
        }
        out.add(s.substring(start));
        return out;
    }

    /** The exact text of a value, which {@link #parse} reads back to an equal value. */
    static String format(Object v) {
        if (v instanceof int[] a) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < a.length; i++) sb.append(i == 0 ? "" : ",").append(a[i]);
            return sb.append(']').toString();
        }
        if (v instanceof double[] a) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < a.length; i++) sb.append(i == 0 ? "" : ",").append(formatDouble(a[i]));
            return sb.append(']').toString();
        }
        if (v instanceof Double d) return formatDouble(d);
        if (v instanceof Float f) return formatDouble(f);
        return String.valueOf(v);
    }

    /** A short form for tables and logs: doubles to 4 significant digits. */
    static String display(Object v) {
        if (v instanceof Double d) return shortDouble(d);
        if (v instanceof Float f) return shortDouble(f);
        return format(v);
    }

    static String shortDouble(double d) {
        if (Double.isNaN(d)) return "nan";
        if (d == Math.rint(d) && Math.abs(d) < 1e6) return formatDouble(d);
        String s = String.format(Locale.ROOT, "%.4g", d);
        if (s.contains("e")) {
            String[] p = s.split("e");
            String m = p[0].contains(".") ? p[0].replaceAll("0+$", "").replaceAll("\\.$", "") : p[0];
            int exp = Integer.parseInt(p[1]);
            return m + "e" + exp;
        }
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    /** Round-trip text of a double, without a trailing ".0" for integral values and with lower-case "e". */
    static String formatDouble(double d) {
        if (Double.isNaN(d)) return "NaN";
        if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString((long) d) + ".0";
        String s = Double.toString(d);
        return s.replace("E", "e");
    }

    /** Value equality with arrays compared by content. */
    static boolean equal(Object a, Object b) {
        if (a instanceof int[] x && b instanceof int[] y) return Arrays.equals(x, y);
        if (a instanceof double[] x && b instanceof double[] y) return Arrays.equals(x, y);
        return a.equals(b);
    }

    static int hash(Object a) {
        if (a instanceof int[] x) return Arrays.hashCode(x);
        if (a instanceof double[] x) return Arrays.hashCode(x);
        return a.hashCode();
    }

    /** A defensive copy for mutable values (arrays); immutable values are returned as they are. */
    static Object copy(Object v) {
        if (v instanceof int[] a) return a.clone();
        if (v instanceof double[] a) return a.clone();
        if (v instanceof Integer || v instanceof Long || v instanceof Double || v instanceof Boolean || v instanceof String) return v;
        if (v instanceof Float f) return (double) f;
        if (v instanceof Short || v instanceof Byte) return ((Number) v).intValue();
        if (v instanceof Enum<?> e) return e.name();
        if (v == null) throw new EngineException("null parameter value");
        throw new EngineException("unsupported parameter value type " + v.getClass().getName() + " (" + v
                + "): use numbers, booleans, strings, int[] or double[]");
    }
}
