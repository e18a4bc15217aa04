package dev.engine.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The commands end to end through picocli, on the shipped digits data (short runs). */
class CliTest {
    private static String run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        try {
            int code = Main.run(args);
            assertEquals(0, code, "exit code of " + String.join(" ", args) + "\n" + buf);
        } finally {
            System.setOut(old);
        }
        return buf.toString();
    }

    @Test void infoListsTheCpuBackend() {
        String out = run("info");
        assertTrue(out.contains("backend cpu [available"), out);
        assertTrue(out.contains("OpenBLAS core"), out);
    }

    @Test void trainEvalPredictRoundTrip(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("d.model");
        String out = run("train", "--epochs", "3", "--out", model.toString(), "--hidden", "32");
        assertTrue(Files.exists(model));
        assertTrue(Files.exists(dir.resolve("d.model.history.csv")));
        assertTrue(Files.exists(dir.resolve("d.model.history.png")));
        // three epochs already reach well above chance (0.1)
        double eager = Double.parseDouble(out.replaceAll("(?s).*eager test accuracy: ([0-9.]+).*", "$1"));
        double bundle = Double.parseDouble(out.replaceAll("(?s).*bundle test accuracy: ([0-9.]+).*", "$1"));
        assertTrue(eager > 0.6, out);
        assertEquals(eager, bundle, 1e-9, "the reloaded bundle must predict like the eager model");
        assertTrue(out.contains("linear0+bias+relu"), out);
        assertTrue(out.contains("p99"), out);

        String eval = run("eval", "--model", model.toString());
        assertTrue(eval.contains("confusion"), eval);
        String pred = run("predict", "--model", model.toString(), "--input",
                "0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0");
        assertTrue(pred.startsWith("row 0: 0"), pred);  // the first digits row is a 0
    }

    @Test void configFileSuppliesDefaultsAndTheCommandLineWins(@TempDir Path dir) throws Exception {
        Path cfg = dir.resolve("train.properties");
        Files.writeString(cfg, "epochs=1\nhidden=16\nout=" + dir.resolve("c.model").toString().replace("\\", "/") + "\n");
        String out = run("train", "--config", cfg.toString(), "--batch-size", "64");
        assertTrue(out.contains("epochs=1 batch=64"), out);
        assertTrue(Files.exists(dir.resolve("c.model")));
        assertTrue(out.contains("Linear(in=64, out=16"), out);
        assertEquals(2, Main.run("train", "--config", dir.resolve("missing.properties").toString()));
    }

    @Test void badArgumentsFailWithAMessage() {
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        try {
            CommandLine cl = new CommandLine(new Main());
            cl.setExecutionExceptionHandler((ex, c, p) -> { c.getErr().println("engine: " + ex.getMessage()); return 1; });
            assertEquals(1, cl.execute("train", "--model", "resnet9000", "--epochs", "1"));
        } finally {
            System.setErr(oldErr);
        }
        assertTrue(err.toString().contains("unknown architecture"), err.toString());
    }
}
