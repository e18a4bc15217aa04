package dev.engine.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Layout views checked element by element against a naive index model of the same data. */
class LayoutTest {
    /** Element position of a multi-index. */
    static long pos(Layout l, long... idx) {
        long p = l.offset();
        for (int d = 0; d < idx.length; d++) p += idx[d] * l.stride(d);
        return p;
    }

    @Test
    void contiguous() {
        Layout l = Layout.contiguous(2, 3, 4);
        assertArrayEquals(new long[]{12, 4, 1}, l.strides());
        assertEquals(24, l.numel());
        assertEquals(3, l.rank());
        assertTrue(l.isContiguous());
        assertArrayEquals(new long[]{0, 23}, l.span());
        Layout scalar = Layout.contiguous();
        assertEquals(1, scalar.numel());
        assertArrayEquals(new long[]{0, 0}, scalar.span());
        Layout empty = Layout.contiguous(3, 0, 2);
        assertEquals(0, empty.numel());
        assertArrayEquals(new long[]{2, 2, 1}, empty.strides(), "size-0 dims count as 1 for strides");
        assertArrayEquals(new long[]{0, -1}, empty.span());
        assertThrows(ShapeException.class, () -> Layout.contiguous(2, -1));
        assertThrows(ShapeException.class, () -> Layout.contiguous(Long.MAX_VALUE, 3));
        assertThrows(ShapeException.class, () -> new Layout(new long[]{2}, new long[]{1, 1}, 0));
        assertThrows(ShapeException.class, () -> new Layout(new long[]{2}, new long[]{1}, -1));
    }

    @Test
    void permuteAndTranspose() {
        Layout l = Layout.contiguous(2, 3, 4);
        Layout p = l.permute(2, 0, 1);
        assertArrayEquals(new long[]{4, 2, 3}, p.shape());
        for (long a = 0; a < 4; a++) for (long b = 0; b < 2; b++) for (long c = 0; c < 3; c++)
            assertEquals(pos(l, b, c, a), pos(p, a, b, c));
        assertFalse(p.isContiguous());
        Layout t = l.transpose(0, -1);
        assertArrayEquals(new long[]{4, 3, 2}, t.shape());
        assertArrayEquals(new long[]{1, 4, 12}, t.strides());
        assertEquals(l, t.transpose(2, 0));
        assertEquals(l.hashCode(), t.transpose(2, 0).hashCode());
        assertThrows(ShapeException.class, () -> l.permute(0, 1));
        assertThrows(ShapeException.class, () -> l.permute(0, 1, 1));
        assertThrows(ShapeException.class, () -> l.permute(0, 1, 3));
        assertThrows(ShapeException.class, () -> l.transpose(0, 3));
    }

    @Test
    void narrowSliceSelect() {
        Layout l = Layout.contiguous(4, 5);
        Layout n = l.narrow(1, 2, 3);
        assertArrayEquals(new long[]{4, 3}, n.shape());
        assertEquals(2, n.offset());
        for (long i = 0; i < 4; i++) for (long j = 0; j < 3; j++) assertEquals(pos(l, i, j + 2), pos(n, i, j));
        assertEquals(l.narrow(0, 4, 0).numel(), 0);
        assertThrows(ShapeException.class, () -> l.narrow(1, 3, 3));
        assertThrows(ShapeException.class, () -> l.narrow(1, -1, 2));
        assertThrows(ShapeException.class, () -> l.narrow(1, 1, Long.MAX_VALUE), "start+length overflow must not pass");
        Layout s = l.slice(1, 1, 5, 2);
        assertArrayEquals(new long[]{4, 2}, s.shape());
        for (long i = 0; i < 4; i++) for (long j = 0; j < 2; j++) assertEquals(pos(l, i, 1 + 2 * j), pos(s, i, j));
        assertEquals(3, l.slice(0, 0, 4, 2).shape(0) + 1);
        assertEquals(1, l.slice(0, 1, 2, 5).shape(0));
        assertEquals(0, l.slice(0, 2, 2, 1).shape(0));
        assertEquals(1, l.slice(1, 0, 5, Long.MAX_VALUE).shape(1), "a huge step gives one element, not an overflow");
        assertThrows(ShapeException.class, () -> l.slice(1, 0, 5, 0));
        assertThrows(ShapeException.class, () -> l.slice(1, 3, 2, 1));
        assertThrows(ShapeException.class, () -> l.slice(1, 0, 6, 1));
        Layout row = l.select(0, 2);
        assertArrayEquals(new long[]{5}, row.shape());
        assertEquals(10, row.offset());
        Layout col = l.select(1, 3);
        assertArrayEquals(new long[]{4}, col.shape());
        assertArrayEquals(new long[]{5}, col.strides());
        assertThrows(IndexOutOfRangeException.class, () -> l.select(0, 4));
        assertThrows(IndexOutOfRangeException.class, () -> l.select(0, -1));
    }

    @Test
    void squeezeUnsqueeze() {
        Layout l = Layout.contiguous(3, 1, 4);
        assertArrayEquals(new long[]{3, 4}, l.squeeze(1).shape());
        assertArrayEquals(new long[]{4, 1}, l.squeeze(1).strides());
        assertThrows(ShapeException.class, () -> l.squeeze(0));
        Layout u = l.unsqueeze(0);
        assertArrayEquals(new long[]{1, 3, 1, 4}, u.shape());
        assertArrayEquals(new long[]{3, 1, 4, 1}, l.unsqueeze(-1).shape());
        assertArrayEquals(new long[]{3, 1, 4}, l.unsqueeze(3).squeeze(3).shape());
        assertThrows(ShapeException.class, () -> l.unsqueeze(5));
        assertThrows(ShapeException.class, () -> l.unsqueeze(-5));
    }

    @Test
    void broadcastTo() {
        Layout l = Layout.contiguous(3, 1).withOffset(2);
        Layout b = l.broadcastTo(new long[]{2, 3, 4});
        assertArrayEquals(new long[]{0, 1, 0}, b.strides());
        for (long i = 0; i < 2; i++) for (long j = 0; j < 3; j++) for (long k = 0; k < 4; k++) assertEquals(pos(l, j, 0), pos(b, i, j, k));
        assertArrayEquals(new long[]{2, 4}, b.span());
        assertArrayEquals(new long[]{3, 0}, l.broadcastTo(new long[]{3, 0}).shape());
        var e = assertThrows(ShapeException.class, () -> l.broadcastTo(new long[]{2, 4}));
        assertTrue(e.getMessage().contains("[3, 1]") && e.getMessage().contains("[2, 4]"), e.getMessage());
        assertThrows(ShapeException.class, () -> l.broadcastTo(new long[]{3}));
    }

    @Test
    void reshapeOrNull() {
        Layout l = Layout.contiguous(2, 6).withOffset(5);
        Layout r = l.reshapeOrNull(new long[]{3, -1});
        assertArrayEquals(new long[]{3, 4}, r.shape());
        assertArrayEquals(new long[]{4, 1}, r.strides());
        assertEquals(5, r.offset());
        assertNull(l.transpose(0, 1).reshapeOrNull(new long[]{12}), "a transposed view needs a copy");
        Layout cols = Layout.contiguous(4, 6).narrow(1, 2, 2);                       // [4, 2], strides [6, 1]
        Layout split = cols.reshapeOrNull(new long[]{2, 2, 2});
        assertArrayEquals(new long[]{12, 6, 1}, split.strides(), "splitting a dim of a column slice is a view");
        assertNull(cols.reshapeOrNull(new long[]{8}), "merging non-adjacent rows needs a copy");
        Layout t = Layout.contiguous(2, 3, 4).permute(2, 0, 1);                      // [4, 2, 3]
        assertArrayEquals(new long[]{1, 4}, t.reshapeOrNull(new long[]{4, 6}).strides(), "the last two dims stay mergeable");
        assertNull(t.reshapeOrNull(new long[]{8, 3}));
        assertArrayEquals(new long[]{0, 1}, Layout.contiguous(3).broadcastTo(new long[]{2, 3}).reshapeOrNull(new long[]{2, 1, 3}).squeeze(1).strides());
        assertThrows(ShapeException.class, () -> l.reshapeOrNull(new long[]{5, -1}));
        assertThrows(ShapeException.class, () -> l.reshapeOrNull(new long[]{-1, -1}));
        assertThrows(ShapeException.class, () -> l.reshapeOrNull(new long[]{13}));
        assertThrows(ShapeException.class, () -> l.reshapeOrNull(new long[]{-2, -6}));
        assertArrayEquals(new long[]{0, 5}, Layout.contiguous(0).reshapeOrNull(new long[]{0, 5}).shape());
        assertThrows(ShapeException.class, () -> Layout.contiguous(0).reshapeOrNull(new long[]{0, -1}), "-1 with a 0 dim is ambiguous");
    }

    /** Any view reshapeOrNull returns sees the same elements in row-major order as the original. */
    @Test
    void reshapeOrNullViewsMatchACopy() {
        java.util.Random r = new java.util.Random(3);
        int views = 0;
        for (int it = 0; it < 2000; it++) {
            int rank = 1 + r.nextInt(4);
            long[] shape = new long[rank];
            for (int d = 0; d < rank; d++) shape[d] = 1 + r.nextInt(4);
            Layout l = Layout.contiguous(shape).withOffset(r.nextInt(3));
            if (rank > 1 && r.nextBoolean()) l = l.transpose(r.nextInt(rank), r.nextInt(rank));
            int d0 = r.nextInt(rank);
            if (l.shape(d0) > 1 && r.nextBoolean()) l = l.narrow(d0, 1, l.shape(d0) - 1);
            if (r.nextInt(4) == 0) l = l.unsqueeze(r.nextInt(l.rank() + 1));
            long n = l.numel();
            // a random factorisation of n
            java.util.List<Long> dims = new java.util.ArrayList<>();
            long rest = n;
            for (long f = 2; f <= rest; f++) while (rest % f == 0) { dims.add(f); rest /= f; }
            java.util.Collections.shuffle(dims, r);
            java.util.List<Long> merged = new java.util.ArrayList<>();
            for (long f : dims) if (!merged.isEmpty() && r.nextBoolean()) merged.set(merged.size() - 1, merged.get(merged.size() - 1) * f); else merged.add(f);
            if (r.nextBoolean()) merged.add(r.nextInt(merged.size() + 1), 1L);
            long[] ns = merged.stream().mapToLong(Long::longValue).toArray();
            Layout v = l.reshapeOrNull(ns);
            if (v == null) continue;
            views++;
            assertArrayEquals(ns, v.shape());
            assertEquals(l.offset(), v.offset());
            for (long i = 0; i < n; i++) assertEquals(pos(l, unravel(i, l.shape())), pos(v, unravel(i, ns)), l + " -> " + v);
        }
        assertTrue(views > 500, "most random reshapes are views: " + views);
    }

    static long[] unravel(long flat, long[] shape) {
        long[] idx = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) { idx[d] = flat % shape[d]; flat /= shape[d]; }
        return idx;
    }

    @Test
    void spanWithNegativeStridesAndOverflow() {
        Layout neg = new Layout(new long[]{3, 2}, new long[]{-2, 1}, 4);
        assertArrayEquals(new long[]{0, 5}, neg.span());
        assertThrows(ShapeException.class, () -> new Layout(new long[]{3}, new long[]{Long.MAX_VALUE / 2 + 1}, 0).span());
        assertThrows(ShapeException.class, () -> new Layout(new long[]{Long.MAX_VALUE}, new long[]{1}, 10).span());
        assertArrayEquals(new long[]{Long.MIN_VALUE, 0}, new Layout(new long[]{2}, new long[]{Long.MIN_VALUE}, 0).span());
        assertThrows(ShapeException.class, () -> new Layout(new long[]{3}, new long[]{Long.MIN_VALUE}, 0).span());
    }
}
