package dev.engine.data;

import dev.engine.api.EngineException;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits CSV text into records (RFC 4180): fields separated by a delimiter, optionally wrapped in
 * double quotes, where a quoted field may contain the delimiter, newlines and doubled quotes ({@code ""}).
 * Unquoted fields are trimmed; spaces before an opening quote are ignored. Records end at {@code \n}, {@code \r\n} or {@code \r}. Tracks the line on
 * which each record starts, for error messages.
 */
final class CsvTokenizer {
    private final Reader in;
    private final String source;
    private final char delimiter;
    private int peeked = -2;      // -2: nothing peeked
    private long line = 1;        // current physical line
    private long recordLine;      // line on which the last record started
    private boolean first = true;

    CsvTokenizer(Reader in, String source, char delimiter) {
        if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
            throw new EngineException("delimiter cannot be a quote or a line break");
        }
        this.in = in;
        this.source = source;
        this.delimiter = delimiter;
    }

    /** The physical line being read (1-based). */
    long line() { return line; }

    /** The line on which the record last returned by {@link #next()} started (1-based). */
    long recordLine() { return recordLine; }

    /**
     * The next record, or null at end of input. Empty lines are skipped. Throws
     * {@link DataFormatException} for an unterminated quote or text after a closing quote.
     */
    List<String> next() throws IOException {
        int c = read();
        if (first) {
            first = false;
            if (c == '\uFEFF') c = read();   // byte-order mark
        }
        while (c == '\n' || c == '\r') {   // skip empty lines
            endOfLine(c);
            c = read();
        }
        if (c == -1) return null;
        recordLine = line;
        List<String> fields = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        while (true) {
            sb.setLength(0);
            while ((c == ' ' || c == '\t') && c != delimiter) c = read();   // spaces before a field (and its quote)
            if (c == '"') {
                long quoteLine = line;
                while (true) {
                    c = read();
                    if (c == -1) {
                        throw DataFormatException.atLine(source, quoteLine, "unterminated quoted field (no closing '\"')");
                    }
                    if (c == '"') {
                        c = read();
                        if (c == '"') { sb.append('"'); continue; }
                        break;
                    }
                    if (c == '\n') {
                        line++;
                    } else if (c == '\r') {
                        line++;
                        if (peek() == '\n') { sb.append('\r'); c = read(); }
                    }
                    sb.append((char) c);
                }
                while ((c == ' ' || c == '\t') && c != delimiter) c = read();
                if (c != delimiter && c != '\n' && c != '\r' && c != -1) {
                    throw DataFormatException.atLine(source, line, "unexpected character '" + (char) c
                            + "' after a closing quote (field " + (fields.size() + 1) + ")");
                }
                fields.add(sb.toString());
            } else {
                while (c != delimiter && c != '\n' && c != '\r' && c != -1) {
                    sb.append((char) c);
                    c = read();
                }
                fields.add(sb.toString().strip());
            }
            if (c == delimiter) { c = read(); continue; }
            if (c != -1) endOfLine(c);
            return fields;
        }
    }

    /** Consumes the rest of the line break whose first character {@code c} was already read. */
    private void endOfLine(int c) throws IOException {
        line++;
        if (c == '\r' && peek() == '\n') read();
    }

    private int peek() throws IOException {
        if (peeked == -2) peeked = in.read();
        return peeked;
    }

    private int read() throws IOException {
        if (peeked != -2) { int c = peeked; peeked = -2; return c; }
        return in.read();
    }
}
