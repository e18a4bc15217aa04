package dev.engine.inference;

import dev.engine.api.ModelFormatException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON reader and writer for file headers (safetensors): objects become
 * {@code LinkedHashMap<String,Object>}, arrays {@code List<Object>}, numbers {@code Long} when integral
 * else {@code Double}, plus {@code String}, {@code Boolean} and {@code null}. Nesting depth and input size
 * are bounded; malformed text throws {@link ModelFormatException} with the position.
 *
 * <pre>{@code
 * Map<String, Object> m = Json.parseObject("{\"a\": [1, 2]}");
 * String s = Json.quote("na\"me");   // "\"na\\\"me\""
 * }</pre>
 */
public final class Json {
    private static final int MAX_DEPTH = 64;
    private final String s;
    private int i;

    private Json(String s) { this.s = s; }

    /** Parses a JSON object (the whole text). */
    public static Map<String, Object> parseObject(String text) {
        Json j = new Json(text);
        j.ws();
        Object v = j.value(0);
        j.ws();
        if (j.i != text.length()) throw j.fail("trailing characters");
        if (!(v instanceof Map)) throw new ModelFormatException("json: expected an object at the top level");
        @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) v;
        return m;
    }

    private Object value(int depth) {
        if (depth > MAX_DEPTH) throw fail("nesting deeper than " + MAX_DEPTH);
        if (i >= s.length()) throw fail("unexpected end");
        char c = s.charAt(i);
        switch (c) {
            case '{': {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                ws();
                if (peek('}')) { i++; return m; }
                while (true) {
                    ws();
                    if (!peek('"')) throw fail("expected a key");
                    String k = string();
                    ws();
                    expect(':');
                    ws();
                    if (m.put(k, value(depth + 1)) != null) throw fail("duplicate key '" + k + "'");
                    ws();
                    if (peek(',')) { i++; continue; }
                    expect('}');
                    return m;
                }
            }
            case '[': {
                i++;
                List<Object> l = new ArrayList<>();
                ws();
                if (peek(']')) { i++; return l; }
                while (true) {
                    ws();
                    l.add(value(depth + 1));
                    ws();
                    if (peek(',')) { i++; continue; }
                    expect(']');
                    return l;
                }
            }
            case '"': return string();
            case 't': literal("true"); return Boolean.TRUE;
            case 'f': literal("false"); return Boolean.FALSE;
            case 'n': literal("null"); return null;
            default: return number();
        }
    }

    private String string() {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (i >= s.length()) throw fail("unterminated string");
            char c = s.charAt(i++);
            if (c == '"') return sb.toString();
            if (c < 0x20) throw fail("control character in string");
            if (c != '\\') { sb.append(c); continue; }
            if (i >= s.length()) throw fail("unterminated escape");
            char e = s.charAt(i++);
            switch (e) {
                case '"': case '\\': case '/': sb.append(e); break;
                case 'b': sb.append('\b'); break;
                case 'f': sb.append('\f'); break;
                case 'n': sb.append('\n'); break;
                case 'r': sb.append('\r'); break;
                case 't': sb.append('\t'); break;
                case 'u':
                    if (i + 4 > s.length()) throw fail("short \\u escape");
                    try { sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); } catch (NumberFormatException x) { throw fail("bad \\u escape"); }
                    i += 4;
                    break;
                default: throw fail("bad escape \\" + e);
            }
        }
    }

    private Object number() {
        int start = i;
        if (peek('-')) i++;
        while (i < s.length() && "0123456789.eE+-".indexOf(s.charAt(i)) >= 0) i++;
        String t = s.substring(start, i);
        if (t.isEmpty() || t.equals("-")) throw fail("unexpected character");
        try {
            if (t.indexOf('.') < 0 && t.indexOf('e') < 0 && t.indexOf('E') < 0) return Long.parseLong(t);
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw fail("bad number '" + t + "'");
        }
    }

    private void literal(String w) {
        if (!s.startsWith(w, i)) throw fail("unexpected token");
        i += w.length();
    }

    private boolean peek(char c) { return i < s.length() && s.charAt(i) == c; }

    private void expect(char c) {
        if (!peek(c)) throw fail("expected '" + c + "'");
        i++;
    }

    private void ws() { while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) i++; }

    private ModelFormatException fail(String what) { return new ModelFormatException("json: " + what + " at character " + i); }

    /** A JSON string literal for {@code v}. */
    public static String quote(String v) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }
}
