package dev.engine.train.search;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.data.Dataset;
import dev.engine.data.Digits;
import dev.engine.data.Split;
import dev.engine.nn.loss.CrossEntropyLoss;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A small real search: digits, first 1,437 rows train, last 360 validation, 64-H-10 MLP. */
class DigitsSearchTest {
    private static Dataset scaled(Dataset d) {
        float[] x = d.features();
        for (int i = 0; i < x.length; i++) x[i] /= 16f;
        return Dataset.classification(x, d.featureShape(), d.labels());
    }

    @Test void gridSearchOnDigitsRanksByValidationAccuracyAndWritesTheCsv(@TempDir Path dir) throws Exception {
        Split s = Digits.trainTestSplit();
        Dataset train = scaled(s.train()), val = scaled(s.test());
        assertEquals(1437, train.size());
        assertEquals(360, val.size());
        SearchSpace space = SearchSpace.parse("hidden=choice:16,64", "lr=choice:1e-3,1e-2");
        TrainerObjective objective = TrainerObjective.builder(TrainerObjective.mlp(64, 10), new CrossEntropyLoss(), train, val)
                .batchSize(32).build();
        assertEquals("val_accuracy", objective.metricName());
        assertEquals(Direction.MAXIMIZE, objective.direction());

        StringBuilder log = new StringBuilder();
        SearchListener printing = new SearchListener() {
            @Override public void trialFinished(TrialRecord r) { log.append(r.trial()).append(" -> ").append(r.metric()).append('\n'); }
        };
        SearchResults r = HyperparameterSearch.builder(space, objective).strategy(new GridSearch(3)).seed(0).listener(printing).build().run();
        System.out.print(r.table());

        assertEquals(4, r.ranked().size());
        assertEquals(4, log.toString().lines().count());
        List<TrialRecord> ranked = r.ranked();
        for (TrialRecord t : ranked) {
            assertFalse(t.failed(), t.error());
            assertEquals(3, t.epochs());
            assertTrue(t.result().extras().containsKey("val_loss"), t.result().extras().toString());
        }
        for (int i = 1; i < 4; i++) assertTrue(ranked.get(i - 1).metric() >= ranked.get(i).metric(), r.table());
        // lr 1e-2 with 64 hidden units learns digits well within 3 epochs
        assertTrue(r.best().metric() > 0.85, r.table());
        assertEquals(64, r.best().trial().getInt("hidden"), r.table());

        Path csv = dir.resolve("tune.csv");
        r.writeCsv(csv);
        List<String> lines = Files.readAllLines(csv);
        assertEquals(5, lines.size());
        assertTrue(lines.get(0).startsWith("rank,trial,round,hidden,lr,val_accuracy,epochs,seconds,train_loss,val_loss"), lines.get(0));
        assertTrue(lines.get(1).startsWith("1," + r.best().trial().id() + ",0,64,"), lines.get(1));

        // the same seed gives the same ranking and the same metrics, bit for bit
        SearchResults again = HyperparameterSearch.builder(space, objective).strategy(new GridSearch(3)).seed(0).build().run();
        for (int i = 0; i < 4; i++) {
            assertEquals(ranked.get(i).trial(), again.ranked().get(i).trial());
            assertEquals(ranked.get(i).metric(), again.ranked().get(i).metric());
            assertEquals(ranked.get(i).result().extras(), again.ranked().get(i).result().extras());
        }
    }
}
