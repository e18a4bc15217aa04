package dev.engine.cli;

import static dev.engine.cli.CliRun.fails;
import static dev.engine.cli.CliRun.number;
import static dev.engine.cli.CliRun.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14, "wrong results that look right": the CLI keeps validation and test apart and refuses silent nonsense. */
class TrustworthyTrainingTest {
    @TempDir Path dir;




    @Test void digitsTrainOnATrainingPartValidateOnAnotherAndTestOnTheFixedTestPart() {
        CliRun r = ok("train", "--epochs", "1", "--hidden", "8", "--out", dir.resolve("d.model").toString());
        Matcher m = Pattern.compile("(\\d+) train rows, (\\d+) validation rows, (\\d+) test rows").matcher(r.out());
        assertTrue(m.find(), r.out());
        int train = Integer.parseInt(m.group(1)), val = Integer.parseInt(m.group(2)), test = Integer.parseInt(m.group(3));
        assertEquals(1437, train + val, "validation comes out of the 1,437 training rows");
        assertEquals(360, test);
        assertTrue(val >= 138 && val <= 150, "about 10% stratified: " + val);
        assertTrue(r.out().contains("trained 1 epoch in"), r.out());
        // the same split for the same seed, a different one for another seed is still 10%
        CliRun r2 = ok("train", "--epochs", "1", "--hidden", "8", "--val-fraction", "0.2", "--seed", "3", "--out", dir.resolve("e.model").toString());
        assertTrue(r2.out().matches("(?s).*\\d+ train rows, 2[89]\\d validation rows, 360 test rows.*"), r2.out());
    }

    @Test void earlyStoppingKeepsTheBestEpochAndSaysSo() {
        CliRun r = ok("train", "--epochs", "40", "--hidden", "8", "--lr", "0.05", "--early-stopping", "2", "--out", dir.resolve("d.model").toString());
        Matcher m = Pattern.compile("kept the weights of epoch (\\d+)").matcher(r.out());
        assertTrue(m.find(), r.out());
        int kept = Integer.parseInt(m.group(1));
        int trained = (int) number(r.out(), "trained (\\d+) epochs? in");
        assertTrue(kept <= trained, r.out());
        if (kept < trained) assertTrue(r.out().contains("restored the weights of epoch " + kept), r.out());
    }

    @Test void splitFractionsThatLeaveAPartEmptyAreErrors() throws Exception {
        Path csv = SyntheticCsv.write(dir.resolve("d.csv"), new String[] {"a", "b"}, 30, 1, false);
        String out = dir.resolve("m.model").toString();
        fails("--test-fraction 1.0 must be in (0, 1)", "train", "--data", csv.toString(), "--label-column", "label", "--test-fraction", "1", "--out", out);
        fails("leave no training rows", "train", "--data", csv.toString(), "--label-column", "label", "--test-fraction", "0.5", "--val-fraction", "0.5", "--out", out);
        fails("fixed test part", "train", "--test-fraction", "0.3", "--out", out);
        assertFalse(Files.exists(Path.of(out)), "nothing is saved");
    }

    @Test void anExplodingLearningRateStopsWithAMessage() {
        CliRun r = fails("training diverged", "train", "--lr", "1e9", "--epochs", "5", "--hidden", "8", "--out", dir.resolve("x.model").toString());
        assertTrue(r.err().contains("lower the learning rate"), r.toString());
        assertFalse(Files.exists(dir.resolve("x.model")));
    }

    @Test void singleClassDataAndOutOfRangeIdxLabelsAreErrors() throws Exception {
        Path one = SyntheticCsv.write(dir.resolve("one.csv"), new String[] {"only"}, 20, 1, false);
        fails("single class", "train", "--data", one.toString(), "--label-column", "label", "--out", dir.resolve("m.model").toString());
        Path idx = Files.createDirectories(dir.resolve("idx"));
        int[] trainLabels = new int[40];
        for (int i = 0; i < 40; i++) trainLabels[i] = i % 10;
        trainLabels[7] = 200;
        writeIdx(idx, "train", trainLabels);
        writeIdx(idx, "t10k", new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
        fails("label 200", "train", "--data", idx.toString(), "--out", dir.resolve("m.model").toString());
    }

    @Test void resumeAndEpochProblemsAreErrors() {
        String out = dir.resolve("m.model").toString();
        fails("--resume needs --checkpoint-dir", "train", "--resume", "--out", out);
        fails("does not exist", "train", "--resume", "--checkpoint-dir", dir.resolve("nope").toString(), "--out", out);
        Path ck = dir.resolve("ck");
        ok("train", "--epochs", "2", "--hidden", "8", "--checkpoint-dir", ck.toString(), "--out", out);
        fails("already trained 2 epochs", "train", "--epochs", "1", "--hidden", "8", "--checkpoint-dir", ck.toString(), "--resume", "--out", out);
        CliRun more = ok("train", "--epochs", "3", "--hidden", "8", "--checkpoint-dir", ck.toString(), "--resume", "--out", out);
        assertTrue(more.out().contains("resumed from"), more.out());
        assertTrue(more.out().contains("trained 3 epochs"), more.out());
    }

    /** Writes {part}-images-idx3-ubyte (2x2 images, pixel = label) and {part}-labels-idx1-ubyte. */
    private static void writeIdx(Path dir, String part, int[] labels) throws Exception {
        int n = labels.length;
        java.nio.ByteBuffer im = java.nio.ByteBuffer.allocate(16 + n * 4).putInt(0x803).putInt(n).putInt(2).putInt(2);
        java.nio.ByteBuffer lb = java.nio.ByteBuffer.allocate(8 + n).putInt(0x801).putInt(n);
        for (int l : labels) {
            for (int k = 0; k < 4; k++) im.put((byte) (l * 20 + k));
            lb.put((byte) l);
        }
        Files.write(dir.resolve(part + "-images-idx3-ubyte"), im.array());
        Files.write(dir.resolve(part + "-labels-idx1-ubyte"), lb.array());
    }
}
