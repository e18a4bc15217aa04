package dev.engine.inference;

import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bundle round trip, atomic writing, and fuzzed/hostile files failing cleanly. */
class BundleTest {
    @TempDir Path dir;

    private static final List<String> LABELS = List.of("a", "b", "c");

    private static FrozenModel tiny() { return Freezer.freeze(Models.tinyMlp(3, 4, 6, 3), new long[]{1, 4}, FreezeOptions.defaults()); }

    private static byte[] tinyBytes() {
        try (FrozenModel m = tiny()) {
            return Bundle.toBytes(m.graph(), AffineTransform.of(new float[]{0.5f}, new float[]{1f}), PostProcessor.softmax(LABELS));
        }
    }

    @Test void roundTripPredictsLikeTheModel() throws Exception {
        Path p = dir.resolve("tiny.model");
        float[] row = {0.3f, -1f, 2f, 0.5f};
        try (FrozenModel m = tiny()) {
            Bundle.save(p, m, AffineTransform.of(new float[]{0.5f}, new float[]{1f}), PostProcessor.softmax(LABELS));
            float[] expect = m.run(AffineTransform.of(new float[]{0.5f}, new float[]{1f}).apply(row), 1);
            try (Predictor pr = Predictor.load(p)) {
                Prediction r = pr.predict(row);
                Prediction direct = PostProcessor.softmax(LABELS).apply(expect, 0, 3);
                assertEquals(direct.label(), r.label());
                assertEquals(direct.probability(), r.probability(), 1e-6);
                assertArrayEquals(direct.scores(), r.scores(), 1e-6f);
                assertEquals(3, r.topK(5).size());
                assertTrue(LABELS.contains(r.topK(1).get(0).label()));
                Prediction[] batch = pr.predict(new float[][]{row, row});
                assertEquals(r.label(), batch[1].label());
                assertArrayEquals(r.scores(), batch[1].scores(), 1e-6f);
            }
        }
        try (var files = Files.list(dir)) { assertEquals(1, files.count(), "no temporary file is left behind"); }
    }

    @Test void truncationAtEveryLengthFailsCleanly() {
        byte[] b = tinyBytes();
        for (int len = 0; len < b.length; len++) {
            byte[] t = java.util.Arrays.copyOf(b, len);
            assertThrows(ModelFormatException.class, () -> Bundle.fromBytes(t), "truncated at " + len);
        }
    }

    @Test void byteFlipsInEverySectionFailCleanly() {
        byte[] b = tinyBytes();
        Random r = new Random(1);
        // header bytes, then positions spread over every section
        for (int pos = 0; pos < b.length; pos += (pos < 100 ? 1 : 1 + r.nextInt(7))) {
            byte[] t = b.clone();
            t[pos] ^= (byte) (1 << r.nextInt(8));
            int at = pos;
            assertThrows(ModelFormatException.class, () -> Bundle.fromBytes(t), "flip at " + at);
        }
    }

    @Test void wrongVersionAndMagicAreNamed() {
        byte[] b = tinyBytes();
        byte[] v = b.clone();
        ByteBuffer.wrap(v).putInt(8, 99);
        var e = assertThrows(ModelFormatException.class, () -> Bundle.fromBytes(v));
        assertTrue(e.getMessage().contains("version 99"), e.getMessage());
        byte[] m = b.clone();
        m[0] = 'X';
        assertTrue(assertThrows(ModelFormatException.class, () -> Bundle.fromBytes(m)).getMessage().contains("magic"));
    }

    /** Rewrites section 1's bytes and fixes up every offset and checksum so only the content is hostile. */
    static byte[] withGraphSection(byte[] b, byte[] graph) {
        ByteBuffer in = ByteBuffer.wrap(b);
        int count = in.getInt(12);
        int headerLen = Bundle.HEADER_FIXED + count * Bundle.ENTRY + 4;
        byte[][] secs = new byte[count][];
        for (int i = 0; i < count; i++) {
            int e = Bundle.HEADER_FIXED + i * Bundle.ENTRY;
            long off = in.getLong(e + 4), len = in.getLong(e + 12);
            secs[i] = java.util.Arrays.copyOfRange(b, (int) off, (int) (off + len));
        }
        secs[0] = graph;
        int total = headerLen;
        for (byte[] s : secs) total += s.length;
        ByteBuffer out = ByteBuffer.allocate(total);
        out.put(b, 0, Bundle.HEADER_FIXED);
        long off = headerLen;
        for (int i = 0; i < count; i++) {
            out.putInt(in.getInt(Bundle.HEADER_FIXED + i * Bundle.ENTRY)).putLong(off).putLong(secs[i].length).putInt(Bundle.crc(secs[i], 0, secs[i].length));
            off += secs[i].length;
        }
        out.putInt(Bundle.crc(out.array(), 0, out.position()));
        for (byte[] s : secs) out.put(s);
        return out.array();
    }

    @Test void hostileContentWithValidChecksumsFailsCleanly() {
        byte[] b = tinyBytes();
        ByteBuffer in = ByteBuffer.wrap(b);
        int goff = (int) in.getLong(Bundle.HEADER_FIXED + 4), glen = (int) in.getLong(Bundle.HEADER_FIXED + 12);
        byte[] graph = java.util.Arrays.copyOfRange(b, goff, goff + glen);
        // huge and negative node counts
        for (int v : new int[]{Integer.MAX_VALUE, -1, 1 << 28}) {
            byte[] g = graph.clone();
            ByteBuffer.wrap(g).putInt(8, v);
            assertThrows(ModelFormatException.class, () -> Bundle.fromBytes(withGraphSection(b, g)), "node count " + v);
        }
        // every 4-byte word of the graph section replaced by hostile values
        Random r = new Random(7);
        int[] hostile = {Integer.MAX_VALUE, Integer.MIN_VALUE, -1, 0x7fff0000, 1 << 30};
        for (int pos = 0; pos + 4 <= graph.length; pos += 1 + r.nextInt(5)) {
            byte[] g = graph.clone();
            ByteBuffer.wrap(g).putInt(pos, hostile[r.nextInt(hostile.length)]);
            byte[] f = withGraphSection(b, g);
            try {
                Bundle.fromBytes(f); // a change that happens to stay valid (e.g. inside a float) may load
            } catch (ModelFormatException expected) {
                // fine
            }
        }
        // a bad section offset with a valid header checksum
        byte[] bad = b.clone();
        ByteBuffer bb = ByteBuffer.wrap(bad);
        bb.putLong(Bundle.HEADER_FIXED + 4, Long.MAX_VALUE - 3);
        int count = bb.getInt(12), hl = Bundle.HEADER_FIXED + count * Bundle.ENTRY;
        bb.putInt(hl, Bundle.crc(bad, 0, hl));
        assertThrows(ModelFormatException.class, () -> Bundle.fromBytes(bad));
        // an empty file and garbage
        assertThrows(ModelFormatException.class, () -> Bundle.fromBytes(new byte[0]));
        byte[] junk = new byte[4096];
        new Random(3).nextBytes(junk);
        assertThrows(ModelFormatException.class, () -> Bundle.fromBytes(junk));
    }

    @Test void graphsThatWouldExhaustMemoryAreRejected() {
        Tracer t = new Tracer();
        Value x = t.input(1, 1, 4, 4);
        Value y = t.conv2d(x, new float[9], 1, 1, 3, null, 1, 30_000); // a 60,002 x 60,002 output from a tiny file
        byte[] f = Bundle.toBytes(t.build(y), null, null);
        var e = assertThrows(ModelFormatException.class, () -> Bundle.fromBytes(f));
        assertTrue(e.getMessage().contains("too large"), e.getMessage());
    }

    @Test void postProcessors() {
        float[] logit = {2f};
        Prediction b = PostProcessor.binary(0.5, "no", "yes").apply(logit, 0, 1);
        assertEquals("yes", b.label());
        assertEquals(1 / (1 + Math.exp(-2)), b.probability(), 1e-6);
        Prediction ml = PostProcessor.multiLabel(List.of("x", "y", "z"), 0.5f).apply(new float[]{3, -3, 0.1f}, 0, 3);
        assertEquals(List.of("x", "z"), ml.activeLabels());
        Prediction reg = PostProcessor.regression(new float[]{2, 10}, new float[]{1, -5}).apply(new float[]{0.5f, 1f}, 0, 2);
        assertArrayEquals(new float[]{2f, 5f}, reg.values(), 1e-6f);
        Prediction raw = PostProcessor.raw().apply(new float[]{1, 5, 2}, 0, 3);
        assertEquals(1, raw.index());
        for (PostProcessor p : new PostProcessor[]{PostProcessor.softmax(LABELS), PostProcessor.binary(0.3, "n", "p"),
                PostProcessor.multiLabel(LABELS, 0.2f, 0.4f, 0.6f), PostProcessor.regression(new float[]{1}, new float[]{2}), PostProcessor.raw()}) {
            PostProcessor q = PostProcessor.load(p.save());
            assertEquals(p.kind(), q.kind());
            assertArrayEquals(p.save(), q.save());
        }
    }
}
