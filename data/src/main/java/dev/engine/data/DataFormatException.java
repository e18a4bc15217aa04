package dev.engine.data;

import dev.engine.api.EngineException;

/**
 * Thrown when a data file (CSV, IDX, NPY, saved pipeline) is malformed, truncated or of an unsupported
 * kind. The message always names the file, where in it the problem is (line, or byte offset) and what
 * was wrong, e.g. {@code "iris.csv:17: expected 5 fields, found 4"}.
 *
 * <pre>{@code
 * try {
 *     Dataset d = Csv.read(path).labelColumn("species").build();
 * } catch (DataFormatException e) {
 *     System.err.println(e.getMessage());   // "iris.csv:17: column 'petal_width': 'x' is not a number"
 * }
 * }</pre>
 */
public class DataFormatException extends EngineException {
    /** An exception with a message that names the file, the place in it and the problem. */
    public DataFormatException(String message) { super(message); }

    /** The same, with the underlying cause (e.g. a {@code ZipException}). */
    public DataFormatException(String message, Throwable cause) { super(message, cause); }

    /** "{@code source:line: what}". */
    static DataFormatException atLine(String source, long line, String what) {
        return new DataFormatException(source + ":" + line + ": " + what);
    }

    /** "{@code source:line: what}", with a cause. */
    static DataFormatException atLine(String source, long line, String what, Throwable cause) {
        return new DataFormatException(source + ":" + line + ": " + what, cause);
    }

    /** "{@code source: byte offset N: what}". */
    static DataFormatException atOffset(String source, long offset, String what) {
        return new DataFormatException(source + ": byte offset " + offset + ": " + what);
    }
}
