package dev.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Reads native/cuda (skipped where the sources are not beside the tests, as in the GPU bundle): every entry
 * point that takes a context binds it before anything else, so no kernel helper runs without one, and every
 * such entry point declared in engine_cuda.h is defined that way.
 */
class NativeContextBindTest {
    private static final Path SOURCES = Path.of("..", "native", "cuda");
    private static final Pattern DEFINITION =
            Pattern.compile("(?m)^(?:int|long long|double|const char\\*|float\\*) (ecu_\\w+)\\(long long ctx[^;{]*\\{\\s*\\n\\s*([^\\n]*)");
    private static final Pattern DECLARATION = Pattern.compile("(?m)^(?:extern \"C\" )?(?:int|long long|double|const char\\*|float\\*) (ecu_\\w+)\\(long long ctx[^;{]*;");

    @Test
    void everyContextEntryPointBindsFirst() throws IOException {
        Assumptions.assumeTrue(Files.isDirectory(SOURCES), "native sources not found at " + SOURCES.toAbsolutePath());
        TreeSet<String> defined = new TreeSet<>();
        List<String> unbound = new ArrayList<>();
        try (Stream<Path> files = Files.list(SOURCES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu")).sorted().toList()) {
                Matcher m = DEFINITION.matcher(Files.readString(f));
                while (m.find()) {
                    defined.add(m.group(1));
                    String first = m.group(2).trim();
                    boolean binds = first.startsWith("ECU_BIND(ctx,") || first.startsWith("ECU_BIND_STATUS(ctx)")
                            || first.startsWith("ContextScope scope(ctx);");
                    if (!binds) unbound.add(f.getFileName() + ": " + m.group(1) + " starts with '" + first + "'");
                }
            }
        }
        assertEquals(List.of(), unbound, "entry points that do not bind their context first");
        TreeSet<String> declared = new TreeSet<>();
        Matcher d = DECLARATION.matcher(Files.readString(SOURCES.resolve("engine_cuda.h")));
        while (d.find()) declared.add(d.group(1));
        assertTrue(declared.size() > 40, "found only " + declared);
        assertEquals(declared, defined, "engine_cuda.h's context-taking declarations and the definitions that bind");
    }
}
