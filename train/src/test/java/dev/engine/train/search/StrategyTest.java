package dev.engine.train.search;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.EngineException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StrategyTest {
    /** A known function of the parameters (best at lr = 1e-2, hidden = 64) plus a budget bonus. */
    private static double quality(Trial t) {
        double lr = Math.log10(t.getDouble("lr")) + 2;
        double h = (t.getInt("hidden") - 64) / 64.0;
        return -lr * lr - h * h;
    }

    private static final Objective SYNTHETIC = new Objective() {
        @Override public TrialResult evaluate(Trial t, int epochs) {
            return TrialResult.of(quality(t) + 0.001 * epochs, Map.of("budget", (double) epochs));
        }

        @Override public String metricName() { return "score"; }
    };

    private static final SearchSpace SPACE = SearchSpace.parse("lr=loguniform:1e-4:1", "hidden=choice:16,32,64,128,256");

    @Test void gridEvaluatesEveryCombinationOnceAndRanksByTheMetric() {
        Map<String, Integer> calls = new HashMap<>();
        Objective counting = (t, e) -> {
            calls.merge(t.format("lr") + "/" + t.format("hidden"), 1, Integer::sum);
            assertEquals(4, e);
            return SYNTHETIC.evaluate(t, e);
        };
        SearchResults r = HyperparameterSearch.builder(SPACE, counting).strategy(new GridSearch(4, 5)).metric("score").build().run();
        assertEquals(25, calls.size());
        assertTrue(calls.values().stream().allMatch(c -> c == 1), calls.toString());
        assertEquals(25, r.ranked().size());
        assertEquals(100, r.totalEpochs());
        assertEquals(Direction.MAXIMIZE, r.direction());
        for (int i = 1; i < r.ranked().size(); i++) assertTrue(r.ranked().get(i - 1).metric() >= r.ranked().get(i).metric());
        assertEquals(0.01, r.best().trial().getDouble("lr"), 1e-12);
        assertEquals(64, r.best().trial().getInt("hidden"));
    }

    @Test void minimisingRanksTheSmallestFirst() {
        Objective loss = new Objective() {
            @Override public TrialResult evaluate(Trial t, int e) { return TrialResult.of(-quality(t)); }
            @Override public String metricName() { return "val_loss"; }
        };
        SearchResults r = HyperparameterSearch.builder(SPACE, loss).strategy(new RandomSearch(12, 1)).seed(3).build().run();
        assertEquals(Direction.MINIMIZE, r.direction());
        for (int i = 1; i < 12; i++) assertTrue(r.ranked().get(i - 1).metric() <= r.ranked().get(i).metric());
    }

    @Test void randomSearchIsDeterministicPerSeed() {
        SearchResults a = HyperparameterSearch.builder(SPACE, SYNTHETIC).strategy(new RandomSearch(15, 2)).seed(42).build().run();
        SearchResults b = HyperparameterSearch.builder(SPACE, SYNTHETIC).strategy(new RandomSearch(15, 2)).seed(42).build().run();
        SearchResults c = HyperparameterSearch.builder(SPACE, SYNTHETIC).strategy(new RandomSearch(15, 2)).seed(43).build().run();
        assertEquals(15, a.ranked().size());
        assertEquals(trials(a), trials(b));
        assertNotEquals(trials(a), trials(c));
        assertEquals(a.toCsv().replaceAll(",[0-9.]+,2.0,", ","), b.toCsv().replaceAll(",[0-9.]+,2.0,", ","));   // all but seconds
        assertEquals(SPACE.samples(15, 42), a.evaluations().stream().map(TrialRecord::trial).toList());
    }

    private static List<Trial> trials(SearchResults r) { return r.ranked().stream().map(TrialRecord::trial).toList(); }

    @Test void successiveHalvingKeepsTheBestThirdAndTriplesTheBudget() {
        List<int[]> budgets = new ArrayList<>();
        Objective recording = (t, e) -> { budgets.add(new int[] {t.id(), e}); return SYNTHETIC.evaluate(t, e); };
        SuccessiveHalving sh = new SuccessiveHalving(27, 1, 9, 3);
        List<Integer> rounds = new ArrayList<>();
        SearchListener l = new SearchListener() {
            @Override public void roundFinished(int round, List<Trial> survivors, int next) { rounds.add(survivors.size() * 100 + next); }
        };
        SearchResults r = HyperparameterSearch.builder(SPACE, recording).strategy(sh).seed(5).listener(l).metric("score").build().run();

        // the plan: 27 x 1 epoch, 9 x 3, 3 x 9 (the budget reached its maximum): 81 epochs
        assertEquals(List.of(List.of(27, 1), List.of(9, 3), List.of(3, 9)), sh.plan(27).stream().map(p -> List.of(p[0], p[1])).toList());
        assertEquals(81, sh.totalEpochs(27));
        assertEquals(81, r.totalEpochs());
        assertEquals(27 + 9 + 3, r.evaluations().size());
        assertEquals(List.of(903, 309), rounds);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        HyperparameterSearch.builder(SPACE, SYNTHETIC).strategy(new SuccessiveHalving(3, 1, 3, 3)).seed(5)
                .listener(SearchListener.printing(new java.io.PrintStream(bytes, true), "score")).build().run();
        List<String> printed = bytes.toString().lines().toList();
        assertEquals(5, printed.size(), bytes.toString());
        assertTrue(printed.get(0).matches("\\[1\\] round 0 #0 lr=\\S+ hidden=\\d+: score -?[0-9.e-]+ \\(1 epochs, [0-9.]+ s\\)"), printed.get(0));
        assertTrue(printed.get(3).startsWith("round 0 done: 1 kept (#"), printed.get(3));

        // survivors computed independently from the known function
        List<Trial> all = SPACE.samples(27, 5);
        Comparator<Trial> best = Comparator.comparingDouble(StrategyTest::quality).reversed().thenComparingInt(Trial::id);
        List<Trial> top9 = all.stream().sorted(best).limit(9).toList();
        List<Trial> top3 = top9.stream().sorted(best).limit(3).toList();
        assertEquals(sortedIds(top9), sortedIds(evaluatedAt(budgets, 3)));
        assertEquals(sortedIds(top3), sortedIds(evaluatedAt(budgets, 9)));
        // ranking: round-2 survivors first, in metric order, then round 1's, then the rest
        assertEquals(top3, trials(r).subList(0, 3));
        assertEquals(top9.subList(3, 9), trials(r).subList(3, 9));
        assertEquals(27, r.ranked().size());
        assertEquals(9, r.best().epochs());
        assertEquals(2, r.best().round());
    }

    @Test void successiveHalvingStopsWhenOneConfigurationRemains() {
        SuccessiveHalving sh = new SuccessiveHalving(9, 1, 100, 3);
        SearchResults r = HyperparameterSearch.builder(SPACE, SYNTHETIC).strategy(sh).seed(1).build().run();
        // 9 x 1, 3 x 3, 1 x 9: the last round has a single configuration
        assertEquals(27, sh.totalEpochs(9));
        assertEquals(27, r.totalEpochs());
        assertEquals(13, r.evaluations().size());
        assertEquals(9, r.best().budget());
        Trial winner = SPACE.samples(9, 1).stream().max(Comparator.comparingDouble(StrategyTest::quality)).orElseThrow();
        assertEquals(winner, r.best().trial());
        // from the grid: 5 configs, eta 2: 5 x 2, 2 x 4, 1 x 8 = 26 epochs
        SuccessiveHalving g = SuccessiveHalving.overGrid(0, 2, 8, 2);
        SearchResults rg = HyperparameterSearch.builder(SearchSpace.parse("lr=0.01", "hidden=choice:16,32,64,128,256"), SYNTHETIC)
                .strategy(g).build().run();
        assertEquals(26, rg.totalEpochs());
        assertEquals(64, rg.best().trial().getInt("hidden"));
    }

    @Test void failedTrialsAreRecordedAndRankedLast(@TempDir Path dir) throws Exception {
        Objective flaky = (t, e) -> {
            if (t.getInt("hidden") == 256) throw new IllegalStateException("training diverged: loss is NaN");
            return SYNTHETIC.evaluate(t, e);
        };
        SearchResults r = HyperparameterSearch.builder(SPACE, flaky).strategy(new GridSearch(1, 2)).metric("score").build().run();
        assertEquals(10, r.ranked().size());
        List<TrialRecord> ranked = r.ranked();
        assertTrue(ranked.get(8).failed() && ranked.get(9).failed());
        assertTrue(ranked.get(8).trial().id() < ranked.get(9).trial().id());
        assertTrue(Double.isNaN(ranked.get(9).metric()));
        String table = r.table();
        assertTrue(table.contains("failed: training diverged"), table);
        r.writeCsv(dir.resolve("out/results.csv"));
        List<String> lines = Files.readAllLines(dir.resolve("out/results.csv"));
        assertEquals("rank,trial,round,lr,hidden,score,epochs,seconds,budget,error", lines.get(0));
        assertEquals(11, lines.size());
        assertTrue(lines.get(10).endsWith(",training diverged: loss is NaN"), lines.get(10));
        try (var files = Files.list(dir.resolve("out"))) { assertEquals(1, files.count()); }   // no temporary left
    }

    @Test void resultsCsvIsRewrittenAfterEveryTrialAndFailFastRethrows(@TempDir Path dir) {
        Path csv = dir.resolve("tune.csv");
        List<Long> linesSeen = new ArrayList<>();
        Objective peeking = (t, e) -> {
            try {
                linesSeen.add(Files.exists(csv) ? Files.readAllLines(csv).size() : 0L);
            } catch (java.io.IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
            return SYNTHETIC.evaluate(t, e);
        };
        SearchResults r = HyperparameterSearch.builder(SPACE, peeking).strategy(new RandomSearch(4, 1)).resultsCsv(csv).build().run();
        assertEquals(List.of(0L, 2L, 3L, 4L), linesSeen);
        assertEquals(r.toCsv().lines().count(), 5);
        assertEquals(0, r.failedCount());
        Objective broken = (t, e) -> { throw new IllegalArgumentException("trial has no parameter 'hiden'"); };
        SearchResults failed = HyperparameterSearch.builder(SPACE, broken).strategy(new RandomSearch(3, 1)).build().run();
        assertEquals(3, failed.failedCount());
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> HyperparameterSearch.builder(SPACE, broken).strategy(new RandomSearch(3, 1)).failFast(true).build().run());
        assertTrue(ex.getMessage().contains("hiden"));
    }

    @Test void resultsTableAndCsvQuoteArrayValues() {
        SearchSpace s = SearchSpace.builder().choice("hidden", new int[] {64}, new int[] {128, 64}).constant("opt", "adam").build();
        SearchResults r = HyperparameterSearch.builder(s, (t, e) -> TrialResult.of(t.getIntArray("hidden").length))
                .strategy(new GridSearch(2)).metric("val_accuracy").build().run();
        String csv = r.toCsv();
        assertTrue(csv.startsWith("rank,trial,round,hidden,opt,val_accuracy,epochs,seconds,error\n"), csv);
        assertTrue(csv.contains("\n1,1,0,\"[128,64]\",adam,2.0,2,"), csv);
        assertTrue(csv.contains("\n2,0,0,[64],adam,1.0,2,"), csv);
        String table = r.table();
        assertTrue(table.lines().findFirst().orElseThrow().matches("rank +trial +hidden +opt +val_accuracy \\(max\\) +epochs +seconds"), table);
        assertTrue(table.contains("best #1"), table);
    }

    @Test void strategiesParseFromText() {
        assertEquals("grid search (resolution 4), 5 epochs per trial", SearchStrategy.parse("grid:4", 5).describe());
        assertEquals("random search, 20 trials x 3 epochs", SearchStrategy.parse("random:20", 3).describe());
        SuccessiveHalving h = (SuccessiveHalving) SearchStrategy.parse("halving:27:3", 9);
        assertEquals(81, h.totalEpochs(27));
        assertEquals(2, ((SuccessiveHalving) SearchStrategy.parse("halving:8:2:2", 8)).minEpochs());
        assertTrue(assertThrows(EngineException.class, () -> SearchStrategy.parse("bayes:3", 1)).getMessage().contains("unknown strategy"));
        assertThrows(EngineException.class, () -> SearchStrategy.parse("random", 1));
        assertThrows(EngineException.class, () -> new SuccessiveHalving(9, 4, 2, 3));
        assertEquals(Direction.MINIMIZE, Direction.parse("min"));
        assertEquals(Direction.MINIMIZE, Direction.forMetric("val_mse"));
        assertEquals(Direction.MAXIMIZE, Direction.forMetric("val_macro_f1"));
    }

    private static List<Trial> evaluatedAt(List<int[]> budgets, int epochs) {
        List<Trial> all = SPACE.samples(27, 5);
        return budgets.stream().filter(b -> b[1] == epochs).map(b -> all.get(b[0])).toList();
    }

    private static List<Integer> sortedIds(List<Trial> ts) { return ts.stream().map(Trial::id).sorted().toList(); }
}
