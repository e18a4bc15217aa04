package dev.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code engine import} writes a bundle from an ONNX file; predict and eval take .onnx files directly. */
class ImportCommandTest {
    private static final Path MODEL = Path.of("../inference/src/test/resources/onnx/mlp_gelu_ln_opset17.onnx");

    private static String run(int expectCode, String... args) {
        PrintStream old = System.out, oldErr = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        System.setErr(new PrintStream(buf, true));
        try {
            assertEquals(expectCode, Main.run(args), "exit code of " + String.join(" ", args) + "\n" + buf);
        } finally {
            System.setOut(old);
            System.setErr(oldErr);
        }
        return buf.toString();
    }

    @Test void importThenPredictFromBundleAndFromOnnx(@TempDir Path dir) {
        Path bundle = dir.resolve("m.model");
        String out = run(0, "import", MODEL.toString(), "--out", bundle.toString(), "--labels", "a,b,c,d,e,f", "--probabilities");
        assertTrue(Files.exists(bundle), out);
        assertTrue(out.contains("layernorm"), out);
        String row = "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1,1.1,1.2,-0.1,-0.2,-0.3,-0.4,-0.5,-0.6,-0.7,-0.8,-0.9,-1,-1.1,-1.2";
        String fromBundle = run(0, "predict", "--model", bundle.toString(), "--input", row);
        assertTrue(fromBundle.startsWith("row 0: "), fromBundle);
        String fromOnnx = run(0, "predict", "--model", MODEL.toString(), "--input", row, "--top", "1");
        assertTrue(fromOnnx.startsWith("row 0: "), fromOnnx);
    }

    @Test void badInputsGetOneClearLine(@TempDir Path dir) {
        String out = run(1, "import", dir.resolve("missing.onnx").toString(), "--out", dir.resolve("x.model").toString());
        assertTrue(out.contains("engine: import:") && out.contains("not a file"), out);
        out = run(1, "import", MODEL.toString(), "--out", dir.resolve("x.model").toString(), "--labels", "a,b");
        assertTrue(out.contains("2 labels for a model with 6 outputs"), out);
    }
}
