package dev.engine.cli;

import static dev.engine.cli.CliRun.fails;
import static dev.engine.cli.CliRun.number;
import static dev.engine.cli.CliRun.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14, "a user's own CSV": one command trains on categorical columns and missing values; eval and predict follow. */
class UserCsvTest {
    @TempDir Path dir;




    private Path trainAbc(Path csv, String labelColumn) {
        Path model = dir.resolve("abc-" + labelColumn + ".model");
        CliRun r = ok("train", "--data", csv.toString(), "--label-column", labelColumn, "--epochs", "80", "--hidden", "16", "--lr", "0.02",
                "--out", model.toString());
        assertTrue(number(r.out(), "bundle test accuracy: ([0-9.]+)") > 0.8, r.out());   // chance: 0.33
        return model;
    }

    @Test void oneCommandTrainsOnACategoricalColumnWithMissingValues() throws Exception {
        Path csv = SyntheticCsv.write(dir.resolve("abc.csv"), new String[] {"a", "b", "c"}, 60, 1, true);
        Path byName = trainAbc(csv, "label");
        Path byIndex = trainAbc(csv, "4");
        assertEquals(Files.size(byName), Files.size(byIndex), "the label column by name or by 1-based index is the same column");
        // raw rows: categories by name, a missing value filled by the saved imputer
        assertTrue(ok("predict", "--model", byName.toString(), "--input", "6.1,blue,0.2").out().startsWith("row 0: c"));
        assertTrue(ok("predict", "--model", byName.toString(), "--input", ",red,0.2").out().startsWith("row 0: "));
        Path rows = dir.resolve("rows.csv");
        Files.writeString(rows, "size,color,noise\n0.1,red,0\n3.2,green,1\n\n6.0,blue,-1\n");
        String out = ok("predict", "--model", byName.toString(), "--input", rows.toString()).out();
        assertTrue(out.contains("row 0: a") && out.contains("row 1: b") && out.contains("row 2: c"), out);
        fails("not a category seen in training", "predict", "--model", byName.toString(), "--input", "1,purple,0");
    }

    @Test void predictChecksTheWholeInputBeforePrintingAnything() throws Exception {
        Path csv = SyntheticCsv.write(dir.resolve("ab.csv"), new String[] {"a", "b"}, 40, 2, false);
        Path model = dir.resolve("ab.model");
        ok("train", "--data", csv.toString(), "--label-column", "label", "--epochs", "3", "--hidden", "8", "--out", model.toString());
        fails("not found", "predict", "--model", model.toString(), "--input", dir.resolve("missing.csv").toString());
        Path empty = dir.resolve("empty.csv");
        Files.writeString(empty, "");
        fails("no data rows", "predict", "--model", model.toString(), "--input", empty.toString());
        Path ragged = dir.resolve("ragged.csv");
        Files.writeString(ragged, "1,red,0\n2,green,0\n3,red\n");
        CliRun r = fails("ragged.csv:3: 2 values, the model expects 3", "predict", "--model", model.toString(), "--input", ragged.toString());
        assertEquals("", r.out(), "nothing printed before the error");
        fails("out of the float range", "predict", "--model", model.toString(), "--input", "1e39,red,0");
        fails("not a number", "predict", "--model", model.toString(), "--input", "Infinity,red,0");
        fails("--top 0 must be >= 1", "predict", "--model", model.toString(), "--input", "1,red,0", "--top", "0");
        fails("bundle " + dir.resolve("nope.model") + " not found", "predict", "--model", dir.resolve("nope.model").toString(), "--input", "1,red,0");
    }

    @Test void evalMatchesLabelsByName() throws Exception {
        Path model = trainAbc(SyntheticCsv.write(dir.resolve("abc.csv"), new String[] {"a", "b", "c"}, 60, 1, false), "label");
        // only b and c: by position they would be the model's a and b
        Path bc = dir.resolve("bc.csv");
        StringBuilder sb = new StringBuilder("size,color,noise,label\n");
        java.util.Random rnd = new java.util.Random(5);
        for (int i = 0; i < 60; i++) {
            int c = 1 + i % 2;
            sb.append(String.format(java.util.Locale.ROOT, "%.3f,%s,%.3f,%s%n", 3 * c + rnd.nextGaussian() * 0.4, SyntheticCsv.COLORS[c], rnd.nextGaussian(),
                    c == 1 ? "b" : "c"));
        }
        Files.writeString(bc, sb);
        CliRun r = ok("eval", "--model", model.toString(), "--data", bc.toString(), "--label-column", "label");
        assertTrue(number(r.out(), "accuracy ([0-9.]+)") > 0.9, r.out());
        assertTrue(r.out().contains("true\\pred"), r.out());
        // labels the model has never seen: an error naming them, or counted wrong on request
        Path dogs = SyntheticCsv.write(dir.resolve("dogs.csv"), new String[] {"cat", "dog"}, 30, 3, false);
        fails("'cat', 'dog' that the model does not know", "eval", "--model", model.toString(), "--data", dogs.toString(), "--label-column", "label");
        CliRun wrong = ok("eval", "--model", model.toString(), "--data", dogs.toString(), "--label-column", "label", "--unknown-labels", "wrong");
        assertTrue(wrong.out().contains("counted as wrong"), wrong.out());
        assertEquals(0.0, number(wrong.out(), "accuracy ([0-9.]+)"), 0.0);
    }

    @Test void labelColumnsCountFromOneAndASemicolonFileGetsAHint() throws Exception {
        Path csv = SyntheticCsv.write(dir.resolve("ab.csv"), new String[] {"a", "b"}, 20, 2, false);
        String out = dir.resolve("m.model").toString();
        fails("columns are numbered from 1", "train", "--data", csv.toString(), "--label-column", "0", "--out", out);
        fails("column 9 ", "train", "--data", csv.toString(), "--label-column", "9", "--out", out);
        fails("no column named 'lable'", "train", "--data", csv.toString(), "--label-column", "lable", "--out", out);
        Path semi = dir.resolve("semi.csv");
        Files.writeString(semi, Files.readString(csv).replace(',', ';'));
        fails("';'-separated", "train", "--data", semi.toString(), "--label-column", "4", "--out", out);
        CliRun r = ok("train", "--data", semi.toString(), "--delimiter", ";", "--label-column", "4", "--epochs", "2", "--hidden", "4", "--out", out);
        assertTrue(r.out().contains("saved bundle"), r.out());
    }

    @Test void theReadmesPetsExampleRuns() {
        Path pets = Path.of("..", "examples", "data", "pets.csv");
        assertTrue(Files.isRegularFile(pets), pets.toAbsolutePath().toString());
        String out = dir.resolve("pets") + "/";
        CliRun r = ok("train", "--data", pets.toString(), "--label-column", "kind", "--out", out, "--mkdirs");
        assertTrue(number(r.out(), "bundle test accuracy: ([0-9.]+)") > 0.85, r.out());   // chance: 0.33
        Path model = dir.resolve("pets").resolve("model.bundle");
        assertTrue(ok("predict", "--model", model.toString(), "--input", "28.5,long,floppy,").out().startsWith("row 0: dog"));
        assertTrue(ok("eval", "--model", model.toString(), "--data", pets.toString(), "--label-column", "kind").out().contains("rabbit"));
    }
}
