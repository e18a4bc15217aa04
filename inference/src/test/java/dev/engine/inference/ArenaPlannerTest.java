package dev.engine.inference;

import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import dev.engine.graph.Graph;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Backends;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The arena planner never overlaps live values (property tests), shares space, and plans run correctly. */
class ArenaPlannerTest {
    static void assertNoLiveOverlap(List<long[]> rows) { // {bytes, first, last, offset}
        for (int i = 0; i < rows.size(); i++)
            for (int j = i + 1; j < rows.size(); j++) {
                long[] a = rows.get(i), b = rows.get(j);
                boolean time = a[1] <= b[2] && b[1] <= a[2];
                boolean space = a[3] < b[3] + b[0] && b[3] < a[3] + a[0];
                assertFalse(time && space && a[0] > 0 && b[0] > 0, "blocks " + java.util.Arrays.toString(a) + " and " + java.util.Arrays.toString(b) + " overlap");
            }
    }

    @Test void randomBlocksNeverOverlapWhileLive() {
        Random r = new Random(42);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + r.nextInt(40);
            List<ArenaPlanner.Block> blocks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int first = r.nextInt(30);
                blocks.add(new ArenaPlanner.Block(r.nextInt(5000), first, first + r.nextInt(8)));
            }
            ArenaPlanner.Placement p = ArenaPlanner.plan(blocks, 64);
            List<long[]> rows = new ArrayList<>();
            long[] off = p.offsets();
            for (int i = 0; i < n; i++) {
                ArenaPlanner.Block b = blocks.get(i);
                assertEquals(0, off[i] % 64);
                assertTrue(off[i] + b.bytes() <= p.totalBytes());
                rows.add(new long[]{b.bytes(), b.first(), b.last(), off[i]});
            }
            assertNoLiveOverlap(rows);
            assertTrue(p.totalBytes() <= ArenaPlanner.sequential(blocks, 64).totalBytes());
        }
    }

    @Test void disjointLifetimesShareSpace() {
        var p = ArenaPlanner.plan(List.of(new ArenaPlanner.Block(1000, 0, 1), new ArenaPlanner.Block(1000, 2, 3), new ArenaPlanner.Block(500, 1, 2)), 64);
        assertEquals(1024 + 512, p.totalBytes());
    }

    /** A random DAG of linear/elementwise/add/softmax nodes. */
    static Graph randomGraph(Random r, int d) {
        Tracer t = new Tracer();
        List<Value> vals = new ArrayList<>();
        vals.add(t.input(1, d));
        int n = 3 + r.nextInt(12);
        for (int i = 0; i < n; i++) {
            Value a = vals.get(r.nextInt(vals.size()));
            Value v = switch (r.nextInt(5)) {
                case 0 -> t.linear(a, Models.randn(r, d * d, 0.4), d, d, Models.randn(r, d, 0.1));
                case 1 -> t.relu(a);
                case 2 -> t.add(a, vals.get(r.nextInt(vals.size())));
                case 3 -> t.tanh(t.mulScalar(a, 0.5));
                default -> t.softmax(a);
            };
            vals.add(v);
        }
        Value out = vals.get(vals.size() - 1);
        for (int i = 1; i < vals.size() - 1; i++) if (r.nextInt(3) == 0) out = t.add(out, vals.get(i)); // long lifetimes
        return t.build(out);
    }

    @Test void randomGraphsPlanWithoutOverlapAndMatchUnsharedExecution() {
        Random r = new Random(7);
        for (int trial = 0; trial < 40; trial++) {
            Graph g = randomGraph(r, 6);
            Graph opt = Freezer.optimize(g, FreezeOptions.defaults(), new ArrayList<>());
            for (int batch : new int[]{1, 3}) {
                ExecutionPlan p = ExecutionPlan.build(opt, batch);
                assertNoLiveOverlap(p.arenaIntervals());
                assertTrue(p.arenaBytes() <= ExecutionPlan.build(opt, batch, false).arenaBytes());
            }
            float[] x = Models.randn(r, 3 * 6, 1);
            try (FrozenModel shared = new FrozenModel(opt, Backends.cpu(), List.of(), true);
                 FrozenModel plain = new FrozenModel(g, Backends.cpu(), List.of(), false)) {
                assertArrayEquals(plain.run(x, 3), shared.run(x, 3), 1e-5f, "trial " + trial + "\n" + g + "\n" + shared.describePlan(3));
            }
        }
    }
}
