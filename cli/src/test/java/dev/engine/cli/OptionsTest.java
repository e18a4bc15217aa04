package dev.engine.cli;

import static dev.engine.cli.CliRun.fails;
import static dev.engine.cli.CliRun.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Issue 14, "options that are ignored", "files and errors" and the launcher's smaller items. */
class OptionsTest {
    @TempDir Path dir;



    @Test void configWithEqualsIsReadAndUnknownKeysAreErrors() throws Exception {
        Path cfg = dir.resolve("t.properties");
        Files.writeString(cfg, "epochs=1\nhidden=12\n");
        CliRun r = ok("train", "--config=" + cfg, "--out", dir.resolve("c.model").toString());
        assertTrue(r.out().contains("epochs=1 ") && r.out().contains("Linear(in=64, out=12"), r.out());
        Files.writeString(cfg, "epoch=1\n");
        CliRun bad = CliRun.of("train", "--config=" + cfg);
        assertEquals(2, bad.code(), bad.toString());
        assertTrue(bad.err().contains("unknown key 'epoch'"), bad.toString());
    }

    @Test void outIsOneRuleCheckedBeforeTraining() throws Exception {
        Path d = Files.createDirectories(dir.resolve("models"));
        CliRun r = ok("train", "--epochs", "1", "--hidden", "8", "--out", d.toString());
        assertTrue(Files.isRegularFile(d.resolve("model.bundle")), r.out());
        assertTrue(Files.isRegularFile(d.resolve("model.bundle.history.csv")));
        CliRun slash = fails("does not exist (create it, or add --mkdirs)", "train", "--epochs", "1", "--out", dir.resolve("x") + "/");
        assertFalse(slash.out().contains("epoch 1"), "checked before training");
        assertFalse(Files.exists(dir.resolve("x")));
        fails("does not exist", "train", "--epochs", "1", "--out", dir.resolve("no/such/dir/x.model").toString());
        ok("train", "--epochs", "1", "--hidden", "8", "--mkdirs", "--out", dir.resolve("new/dir/x.model").toString());
        assertTrue(Files.isRegularFile(dir.resolve("new/dir/x.model")));
    }

    @Test void aPlotThatCannotBeWrittenIsAWarning() throws Exception {
        // a non-empty directory where the plot should go makes writing it fail
        Files.createDirectories(dir.resolve("p.model.history.png").resolve("blocker"));
        CliRun r = ok("train", "--epochs", "1", "--hidden", "8", "--out", dir.resolve("p.model").toString());
        assertTrue(r.out().contains("warning: no history plot"), r.out());
        assertTrue(Files.isRegularFile(dir.resolve("p.model")));
    }

    @Test void badNumbersAreClearErrors() {
        String out = dir.resolve("m.model").toString();
        fails("--hidden: every width must be >= 1, got 0", "train", "--hidden", "0", "--out", out);
        fails("--threads -1 must be >= 0", "train", "--threads", "-1", "--out", out);
        fails("--lr -1.0 must be a positive number", "train", "--lr", "-1", "--out", out);
        fails("--epochs 0 must be >= 1", "train", "--epochs", "0", "--out", out);
        fails("--precision: unknown 'fp8' (f32, bf16, f16)", "train", "--precision", "fp8", "--out", out);
    }

    @Test void trainsInMixedPrecision() {
        CliRun r = ok("train", "--epochs", "2", "--hidden", "16", "--precision", "bf16", "--out", dir.resolve("bf16.model").toString());
        assertTrue(r.out().contains("precision=bf16"), r.out());
        assertTrue(r.out().contains("eager test accuracy"), r.out());
    }

    @Test void tuneRanksOnValidationAndRefusesWhatItCannotDo() throws Exception {
        Path csv = dir.resolve("tune.csv");
        CliRun r = ok("tune", "--param", "lr=choice:0.01;hidden=choice:[8]", "--strategy", "halving:1", "--epochs", "2", "--out", csv.toString());
        assertTrue(r.out().contains("ranked on the validation rows"), r.out());
        List<String> lines = Files.readAllLines(csv);
        List<String> header = List.of(lines.get(0).split(","));
        assertEquals(header.indexOf("lr"), header.lastIndexOf("lr"), "lr appears once: " + header);
        assertEquals("2", lines.get(1).split(",")[header.indexOf("epochs")], "one configuration gets the full budget");
        int summaries = r.out().split("evaluations, ", -1).length - 1;
        assertEquals(1, summaries, r.out());
        fails("unknown parameter 'lrr'", "tune", "--param", "lrr=choice:0.1", "--out", csv.toString());
        fails("--metric: unknown 'val_acc'", "tune", "--metric", "val_acc", "--out", csv.toString());
        fails("every trial failed", "tune", "--param", "hidden=choice:[0]", "--strategy", "random:1", "--epochs", "1", "--out", csv.toString());
        CliRun folds = ok("tune", "--param", "lr=choice:0.01;hidden=choice:[8]", "--strategy", "random:1", "--epochs", "1", "--folds", "3",
                "--out", csv.toString());
        assertTrue(folds.out().contains("3-fold cross-validation"), folds.out());
    }

    @Test void helpAndBenchAndInfo() {
        assertTrue(ok("help").out().contains("train"));
        assertTrue(ok("help", "eval").out().contains("--unknown-labels"));
        // every option of every command says what it does
        CommandLine cl = new CommandLine(new Main());
        for (CommandLine sub : cl.getSubcommands().values()) {
            for (OptionSpec o : sub.getCommandSpec().options()) {
                String desc = String.join(" ", o.description()).strip();
                assertFalse(desc.isEmpty(), sub.getCommandName() + " " + o.longestName() + " has no description");
            }
        }
        String home = System.getProperty("engine.home");
        try {
            System.setProperty("engine.home", dir.toString());
            fails("benchmarks.jar not found", "bench", "--quick");
        } finally {
            if (home == null) System.clearProperty("engine.home"); else System.setProperty("engine.home", home);
        }
        String info = ok("info").out();
        assertTrue(info.contains("backend cpu [available"), info);
    }
}
