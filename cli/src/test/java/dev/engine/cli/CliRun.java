package dev.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs {@link Main} in-process and captures its exit code, stdout and stderr. */
record CliRun(int code, String out, String err) {
    static synchronized CliRun of(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs and asserts exit 0. */
    static CliRun ok(String... args) {
        CliRun r = of(args);
        assertEquals(0, r.code(), r.toString());
        return r;
    }

    /** Runs and asserts a non-zero exit whose stderr contains {@code expected}. */
    static CliRun fails(String expected, String... args) {
        CliRun r = of(args);
        assertTrue(r.code() != 0, r.toString());
        assertTrue(r.err().contains(expected), "expected '" + expected + "' in\n" + r);
        return r;
    }

    /** The number captured by the first group of {@code regex} in {@code text}. */
    static double number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), regex + " in\n" + text);
        return Double.parseDouble(m.group(1));
    }

    @Override public String toString() { return "exit " + code + "\n--- out\n" + out + "--- err\n" + err; }
}
