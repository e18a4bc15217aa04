package dev.engine.train.search;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.EngineException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SearchSpaceTest {
    private static SearchSpace mixed() {
        return SearchSpace.builder()
                .logUniform("lr", 1e-4, 1e-1)
                .choice("batch", 16, 32, 64)
                .choice("hidden", new int[] {64}, new int[] {128, 64})
                .uniform("dropout", 0.0, 0.5)
                .intRange("layers", 1, 3)
                .logIntRange("width", 16, 512)
                .choice("optimizer", "adam", "sgd")
                .build();
    }

    @Test void parsesTheCommandLineFormAndRoundTrips() {
        SearchSpace s = SearchSpace.parse("lr=loguniform:1e-4:1e-1", "batch=choice:16,32,64",
                "hidden=choice:[64],[128,64] ; dropout=uniform:0:0.5:3", "layers=int:1:3\nwidth=logint:16:512 # comment",
                "optimizer=choice:adam,sgd", "epochs=5");
        assertEquals(List.of("lr", "batch", "hidden", "dropout", "layers", "width", "optimizer", "epochs"), s.names());
        assertEquals(new Param.LogUniform("lr", 1e-4, 0.1, 0), s.param("lr"));
        assertEquals(List.of(16, 32, 64), ((Param.Choice) s.param("batch")).values());
        List<Object> hidden = ((Param.Choice) s.param("hidden")).values();
        assertArrayEquals(new int[] {64}, (int[]) hidden.get(0));
        assertArrayEquals(new int[] {128, 64}, (int[]) hidden.get(1));
        assertEquals(new Param.Uniform("dropout", 0, 0.5, 3), s.param("dropout"));
        assertEquals(new Param.IntRange("width", 16, 512, true, 0), s.param("width"));
        assertEquals(List.of("adam", "sgd"), ((Param.Choice) s.param("optimizer")).values());
        assertEquals(List.of(5), ((Param.Choice) s.param("epochs")).values());
        // specs() is read back to an equal space
        assertEquals(s, SearchSpace.parse(s.specs()));
        assertEquals(mixed(), SearchSpace.parse(mixed().specs()));
        assertEquals("hidden=choice:[64],[128,64]", s.param("hidden").spec());
    }

    @Test void badSpecsFailWithTheSpecAndTheReason() {
        assertTrue(assertThrows(EngineException.class, () -> Param.parse("lr=gaussian:0:1")).getMessage().contains("unknown kind 'gaussian'"));
        assertTrue(assertThrows(EngineException.class, () -> Param.parse("lr=loguniform:0:1")).getMessage().contains("0 < low"));
        assertTrue(assertThrows(EngineException.class, () -> Param.parse("lr=uniform:1")).getMessage().contains("lr=uniform:1"));
        assertTrue(assertThrows(EngineException.class, () -> Param.parse("x=uniform:a:2")).getMessage().contains("not a number"));
        assertTrue(assertThrows(EngineException.class, () -> Param.parse("noequals")).getMessage().contains("name=kind:args"));
        assertTrue(assertThrows(EngineException.class, () -> Param.parse("b=choice:1,2,1")).getMessage().contains("twice"));
        assertTrue(assertThrows(EngineException.class, () -> SearchSpace.parse("a=1", "a=2")).getMessage().contains("declared twice"));
        assertThrows(EngineException.class, () -> SearchSpace.parse("# nothing"));
        assertThrows(EngineException.class, () -> Param.parse("n=int:3:1"));
        assertTrue(assertThrows(EngineException.class, () -> Param.parse("lr=loguniform")).getMessage().contains("needs arguments"));
        assertThrows(EngineException.class, () -> Param.parse("lr=1e-4:1e-1"));
        // constants that look like kinds or hold ':' round-trip through the choice form
        for (Object v : List.of("log", "a:b", 5, 0.5, "adam")) {
            Param p = new Param.Choice("c", List.of(v));
            assertEquals(p, Param.parse(p.spec()), p.spec());
        }
    }

    @Test void gridIsTheFullCartesianProductExactlyOnce() {
        SearchSpace s = SearchSpace.builder()
                .choice("opt", "adam", "sgd", "adamw")
                .intRange("layers", 1, 2)
                .logUniform("lr", 1e-4, 1e-1, 4)
                .uniform("dropout", 0, 0.5)          // gets the search resolution
                .build();
        List<Trial> grid = s.grid(3, 7);
        assertEquals(3 * 2 * 4 * 3, grid.size());
        assertEquals(72, s.gridSize(3));
        Set<List<Object>> seen = new HashSet<>();
        for (int i = 0; i < grid.size(); i++) {
            Trial t = grid.get(i);
            assertEquals(i, t.id());
            assertEquals(SearchSpace.trialSeed(7, i), t.seed());
            assertTrue(seen.add(List.of(t.get("opt"), t.get("layers"), t.get("lr"), t.get("dropout"))), "duplicate " + t);
        }
        // every combination of the axes is there
        for (String o : List.of("adam", "sgd", "adamw"))
            for (int l : new int[] {1, 2})
                for (double lr : new double[] {1e-4, 1e-3, 1e-2, 1e-1})
                    for (double d : new double[] {0, 0.25, 0.5})
                        assertTrue(seen.contains(List.of(o, l, lr, d)), o + " " + l + " " + lr + " " + d);
        // the last parameter varies fastest
        assertEquals(0.0, grid.get(0).getDouble("dropout"));
        assertEquals(0.25, grid.get(1).getDouble("dropout"));
        assertEquals(1e-3, grid.get(3).getDouble("lr"));
        assertEquals("sgd", grid.get(24).getString("opt"));
    }

    @Test void continuousRangesNeedAGridResolution() {
        SearchSpace s = SearchSpace.parse("lr=loguniform:1e-4:1e-1", "hidden=choice:16,64");
        EngineException e = assertThrows(EngineException.class, () -> s.grid(0, 0));
        assertTrue(e.getMessage().contains("'lr'") && e.getMessage().contains("resolution"), e.getMessage());
        assertEquals(6, s.grid(3, 0).size());
        // int ranges without a resolution list every integer; with one, evenly spaced (log for logint)
        assertEquals(List.of(1, 2, 3, 4, 5), Param.parse("n=int:1:5").grid(0));
        assertEquals(List.of(1, 3, 5), Param.parse("n=int:1:5").grid(3));
        assertEquals(List.of(16, 64, 256), Param.parse("w=logint:16:256:3").grid(0));
        assertEquals(List.of(0.0, 0.5, 1.0), Param.parse("u=uniform:0:1").grid(3));
    }

    @Test void randomDrawsStayInRangeAndCoverChoices() {
        SearchSpace s = mixed();
        Set<Object> batches = new HashSet<>(), layers = new HashSet<>(), opts = new HashSet<>();
        Set<String> hidden = new HashSet<>();
        int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
        for (Trial t : s.samples(2000, 11)) {
            double lr = t.getDouble("lr");
            assertTrue(lr >= 1e-4 && lr <= 1e-1, "lr " + lr);
            double d = t.getDouble("dropout");
            assertTrue(d >= 0 && d <= 0.5, "dropout " + d);
            int w = t.getInt("width");
            assertTrue(w >= 16 && w <= 512, "width " + w);
            lo = Math.min(lo, w);
            hi = Math.max(hi, w);
            batches.add(t.get("batch"));
            layers.add(t.get("layers"));
            opts.add(t.get("optimizer"));
            hidden.add(t.format("hidden"));
        }
        assertEquals(Set.of(16, 32, 64), batches);
        assertEquals(Set.of(1, 2, 3), layers);
        assertEquals(Set.of("adam", "sgd"), opts);
        assertEquals(Set.of("[64]", "[128,64]"), hidden);
        assertEquals(16, lo);
        assertTrue(hi > 400, "logint upper end barely reached: " + hi);
    }

    @Test void logUniformIsUniformInLogSpace() {
        Param p = new Param.LogUniform("lr", 1e-4, 1e-1, 0);
        SearchSpace s = SearchSpace.of(List.of(p));
        int n = 6000;
        double[] u = new double[n];
        int[] decades = new int[3];
        int belowLinearMidpoint = 0;
        List<Trial> trials = s.samples(n, 2024);
        for (int i = 0; i < n; i++) {
            double v = trials.get(i).getDouble("lr");
            u[i] = (Math.log10(v) + 4) / 3;              // should be uniform on [0, 1]
            decades[Math.min(2, (int) (u[i] * 3))]++;
            if (v < (1e-4 + 1e-1) / 2) belowLinearMidpoint++;
        }
        // chi-square over the three decades (df 2; 13.8 is the 0.001 critical value)
        double chi = 0;
        for (int c : decades) chi += Math.pow(c - n / 3.0, 2) / (n / 3.0);
        assertTrue(chi < 13.8, "decade counts " + java.util.Arrays.toString(decades) + " chi2 " + chi);
        // Kolmogorov-Smirnov in log space (1.63/sqrt(n) is the 0.01 critical value)
        java.util.Arrays.sort(u);
        double ks = 0;
        for (int i = 0; i < n; i++) ks = Math.max(ks, Math.max(Math.abs((i + 1.0) / n - u[i]), Math.abs(u[i] - (double) i / n)));
        assertTrue(ks < 1.63 / Math.sqrt(n), "KS statistic " + ks);
        // a linear-uniform draw would put half below the midpoint; log-uniform puts ~90% there
        assertTrue(belowLinearMidpoint > 0.85 * n, "below midpoint: " + belowLinearMidpoint);
    }

    @Test void theSameSeedGivesTheSameTrials() {
        SearchSpace s = mixed();
        List<Trial> a = s.samples(50, 5), b = s.samples(50, 5), c = s.samples(50, 6);
        assertEquals(a, b);
        int same = 0;
        for (int i = 0; i < 50; i++) if (a.get(i).sameParams(c.get(i))) same++;
        assertTrue(same < 5, "another seed gave the same trials " + same + " times");
        // trial i does not depend on how many are drawn
        assertEquals(a.subList(0, 10), s.samples(10, 5));
        assertEquals(a.get(17), s.sample(17, 5));
        // a parsed copy of the space draws the same trials
        assertEquals(a, SearchSpace.parse(s.specs()).samples(50, 5));
    }

    @Test void distinctSamplesSkipRepeatsOfASmallSpace() {
        SearchSpace small = SearchSpace.parse("hidden=choice:16,64", "lr=choice:1e-3,1e-2");
        List<Trial> t = small.distinctSamples(10, 3);
        assertEquals(4, t.size());
        Set<String> combos = new HashSet<>();
        for (int i = 0; i < t.size(); i++) {
            assertEquals(i, t.get(i).id());
            assertEquals(SearchSpace.trialSeed(3, i), t.get(i).seed());
            assertTrue(combos.add(t.get(i).format("hidden") + "/" + t.get(i).format("lr")));
        }
        assertEquals(t.subList(0, 2), small.distinctSamples(2, 3));
        // a continuous space never repeats: distinct samples are the plain samples
        assertEquals(mixed().samples(20, 8), mixed().distinctSamples(20, 8));
        SearchResults r = HyperparameterSearch.builder(small, (x, e) -> TrialResult.of(x.getDouble("lr"))).strategy(new RandomSearch(10, 1)).seed(3).build().run();
        assertEquals(4, r.ranked().size());
    }

    @Test void trialGettersConvertLosslesslyOnly() {
        Trial t = new Trial(3, 9, Map.of("lr", 0.01, "h", 64, "hs", new int[] {128, 64}, "w", 2.0, "name", "adam", "flag", true));
        assertEquals(0.01, t.getDouble("lr"));
        assertEquals(64.0, t.getDouble("h"));
        assertEquals(2, t.getInt("w"));
        assertArrayEquals(new int[] {64}, t.getIntArray("h"));
        assertArrayEquals(new int[] {128, 64}, t.getIntArray("hs"));
        t.getIntArray("hs")[0] = 1;   // copies: the trial is immutable
        assertArrayEquals(new int[] {128, 64}, t.getIntArray("hs"));
        assertEquals("adam", t.getString("name"));
        assertTrue(t.getBoolean("flag"));
        assertEquals(7, t.getInt("missing", 7));
        assertThrows(EngineException.class, () -> t.getInt("lr"));
        assertThrows(EngineException.class, () -> t.getDouble("name"));
        assertTrue(assertThrows(EngineException.class, () -> t.get("nope")).getMessage().contains("no parameter 'nope'"));
        assertEquals("[128,64]", t.format("hs"));
        List<String> names = new ArrayList<>(t.params().keySet());
        assertEquals(6, names.size());
    }
}
