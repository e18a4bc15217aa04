package dev.engine.tests;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import dev.engine.data.Csv;
import dev.engine.data.DataLoader;
import dev.engine.data.Dataset;
import dev.engine.data.Idx;
import dev.engine.data.KFold;
import dev.engine.data.Npy;
import dev.engine.data.OneHotEncode;
import dev.engine.data.Pipeline;
import dev.engine.data.Splits;
import dev.engine.data.Standardize;
import dev.engine.nn.Linear;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.SGD;
import dev.engine.train.Trainer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** The data and training API answers bad arguments with EngineException subclasses, never JDK exceptions. */
class PublicApiErrorsTest {
    @TempDir Path dir;

    private static void engineError(Executable call) {
        Throwable t = assertThrows(Throwable.class, call);
        assertTrue(t instanceof EngineException, "expected an EngineException, got " + t);
        assertTrue(t.getMessage() != null && !t.getMessage().isBlank(), "the message names the problem: " + t);
    }

    @Test void badArgumentsRaiseEngineExceptions() {
        Dataset d = Dataset.classification(new float[] {1, 2, 3, 4, 5, 6}, new int[] {2}, new int[] {0, 1, 0});
        Dataset unlabeled = Dataset.unlabeled(new float[] {1, 2}, new int[] {2});
        engineError(() -> Csv.read(dir.resolve("missing.csv")).build());
        engineError(() -> Csv.parse("a,b\n1,2\n", "x.csv").labelColumn(5).build());
        engineError(() -> Csv.parse("a,b\n1,2\n", "x.csv").labelColumn("c").build());
        engineError(() -> Idx.readImages(dir.resolve("missing-idx3-ubyte")));
        engineError(() -> Idx.loadDirectory(dir));
        engineError(() -> Npy.read(dir.resolve("missing.npy")));
        engineError(() -> Splits.indices(d, 1.5, 0, 0, false));
        engineError(() -> Splits.trainValTest(unlabeled, 0.5, 0.2, 0, true));
        engineError(() -> unlabeled.label(0));
        engineError(() -> d.subset(new int[] {7}));
        engineError(() -> Pipeline.of(new Standardize()).transform(new float[] {1, 2}));
        engineError(() -> Pipeline.of(new Standardize()).fit(d).transform(new float[] {1, 2, 3}));
        engineError(() -> Pipeline.of(new OneHotEncode()).fit(d));
        engineError(() -> Pipeline.load(dir.resolve("missing.pipeline")));
        engineError(() -> DataLoader.builder(d).batchSize(0));
        engineError(() -> KFold.split(d, 1, 0, false));
        Linear m = new Linear(2, 2);
        engineError(() -> Trainer.builder(null, new CrossEntropyLoss(), new SGD(m.parameters(), 0.1)));
        engineError(() -> Trainer.builder(m, new CrossEntropyLoss(), new SGD(m.parameters(), 0.1)).epochs(0));
        engineError(() -> Trainer.builder(m, new CrossEntropyLoss(), new SGD(m.parameters(), 0.1)).earlyStopping("val_loss", 2).build().fit(d));
    }
}
