package dev.engine.inference;

import dev.engine.api.EngineException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Greedy best-fit arena planning (as in tinygrad's memory planner): blocks with lifetimes over a
 * linearised schedule get byte offsets in one arena so that two blocks whose lifetimes overlap never
 * overlap in memory, while blocks that are never live together share space. Blocks are placed largest
 * first, each into the smallest gap between the already placed blocks it is live with.
 *
 * <pre>{@code
 * var p = ArenaPlanner.plan(List.of(new ArenaPlanner.Block(1024, 0, 1), new ArenaPlanner.Block(1024, 2, 3)), 64);
 * p.totalBytes();   // 1024: the two blocks share space
 * }</pre>
 */
public final class ArenaPlanner {
    private ArenaPlanner() {}

    /** A region of {@code bytes} live from step {@code first} to step {@code last}, both inclusive. */
    public record Block(long bytes, int first, int last) {
        public Block {
            if (bytes < 0 || first < 0 || last < first) throw new EngineException("arena block of " + bytes + " bytes live " + first + ".." + last);
        }

        boolean overlapsInTime(Block o) { return first <= o.last && o.first <= last; }
    }

    /** Offsets (in block order) and the arena size. */
    public record Placement(long[] offsets, long totalBytes) {
        @Override public long[] offsets() { return offsets.clone(); }
    }

    /** Places {@code blocks}; offsets are multiples of {@code alignment}. */
    public static Placement plan(List<Block> blocks, long alignment) {
        if (alignment < 1) throw new EngineException("arena alignment " + alignment);
        int n = blocks.size();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, Comparator.<Integer>comparingLong(i -> -blocks.get(i).bytes()).thenComparingInt(i -> blocks.get(i).first()));
        long[] offsets = new long[n];
        long total = 0;
        List<Integer> placed = new ArrayList<>();
        for (int idx : order) {
            Block b = blocks.get(idx);
            long size = align(b.bytes(), alignment);
            List<long[]> busy = new ArrayList<>();
            for (int p : placed) {
                Block o = blocks.get(p);
                if (o.overlapsInTime(b)) busy.add(new long[]{offsets[p], offsets[p] + align(o.bytes(), alignment)});
            }
            busy.sort(Comparator.comparingLong(r -> r[0]));
            long best = -1, bestGap = Long.MAX_VALUE, cursor = 0;
            for (long[] r : busy) {
                long gap = r[0] - cursor;
                if (gap >= size && gap < bestGap) { best = cursor; bestGap = gap; }
                cursor = Math.max(cursor, r[1]);
            }
            if (best < 0) best = cursor;
            offsets[idx] = best;
            total = Math.max(total, best + size);
            placed.add(idx);
        }
        return new Placement(offsets, total);
    }

    /** Every block its own region, one after another (no sharing): the baseline the planner beats. */
    public static Placement sequential(List<Block> blocks, long alignment) {
        long[] offsets = new long[blocks.size()];
        long total = 0;
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = total;
            total += align(blocks.get(i).bytes(), alignment);
        }
        return new Placement(offsets, total);
    }

    static long align(long v, long a) { return (v + a - 1) / a * a; }
}
