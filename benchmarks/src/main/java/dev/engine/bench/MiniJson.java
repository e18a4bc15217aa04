package dev.engine.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Just enough JSON to read JMH's result file and to write the report's small side files: objects become
 * {@code LinkedHashMap}, arrays {@code ArrayList}, numbers {@code Double}. JMH writes NaN as the string
 * "NaN"; {@link #num(Object)} reads both forms.
 */
final class MiniJson {
    private final String s;
    private int i;

    private MiniJson(String s) { this.s = s; }

    static Object parse(String text) {
        MiniJson p = new MiniJson(text);
        Object v = p.value();
        p.ws();
        if (p.i != p.s.length()) throw p.error("trailing characters");
        return v;
    }

    /** A number that may also be given as a string ("NaN", "Infinity"). */
    static double num(Object o) {
        if (o instanceof Number n) return n.doubleValue();
        if (o instanceof String str) {
            try { return Double.parseDouble(str); } catch (NumberFormatException e) { return Double.NaN; }
        }
        return Double.NaN;
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("JSON: " + what + " at offset " + i);
    }

    private void ws() { while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++; }

    private Object value() {
        ws();
        if (i >= s.length()) throw error("unexpected end");
        char c = s.charAt(i);
        if (c == '{') return object();
        if (c == '[') return array();
        if (c == '"') return string();
        if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
        if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
        if (s.startsWith("null", i)) { i += 4; return null; }
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
        if (start == i) throw error("unexpected '" + c + "'");
        return Double.parseDouble(s.substring(start, i));
    }

    private Map<String, Object> object() {
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        ws();
        if (s.charAt(i) == '}') { i++; return m; }
        while (true) {
            ws();
            String k = string();
            ws();
            if (s.charAt(i++) != ':') throw error("expected ':'");
            m.put(k, value());
            ws();
            char c = s.charAt(i++);
            if (c == '}') return m;
            if (c != ',') throw error("expected ',' or '}'");
        }
    }

    private List<Object> array() {
        List<Object> l = new ArrayList<>();
        i++;
        ws();
        if (s.charAt(i) == ']') { i++; return l; }
        while (true) {
            l.add(value());
            ws();
            char c = s.charAt(i++);
            if (c == ']') return l;
            if (c != ',') throw error("expected ',' or ']'");
        }
    }

    private String string() {
        if (s.charAt(i) != '"') throw error("expected a string");
        StringBuilder b = new StringBuilder();
        i++;
        while (true) {
            char c = s.charAt(i++);
            if (c == '"') return b.toString();
            if (c != '\\') { b.append(c); continue; }
            char e = s.charAt(i++);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                default -> b.append(e);
            }
        }
    }

    /** Writes maps, lists, strings, numbers, booleans and null as indented JSON. */
    static String write(Object o) {
        StringBuilder b = new StringBuilder();
        write(b, o, "");
        return b.append('\n').toString();
    }

    private static void write(StringBuilder b, Object o, String indent) {
        if (o == null) b.append("null");
        else if (o instanceof String str) quote(b, str);
        else if (o instanceof Double d && (d.isNaN() || d.isInfinite())) quote(b, d.toString());
        else if (o instanceof Number || o instanceof Boolean) b.append(o);
        else if (o instanceof Map<?, ?> m) {
            b.append("{");
            String in = indent + "  ";
            int k = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append(k++ == 0 ? "\n" : ",\n").append(in);
                quote(b, String.valueOf(e.getKey()));
                b.append(": ");
                write(b, e.getValue(), in);
            }
            b.append(m.isEmpty() ? "}" : "\n" + indent + "}");
        } else if (o instanceof List<?> l) {
            b.append("[");
            String in = indent + "  ";
            for (int k = 0; k < l.size(); k++) {
                b.append(k == 0 ? "\n" : ",\n").append(in);
                write(b, l.get(k), in);
            }
            b.append(l.isEmpty() ? "]" : "\n" + indent + "]");
        } else quote(b, o.toString());
    }

    private static void quote(StringBuilder b, String str) {
        b.append('"');
        for (char c : str.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
