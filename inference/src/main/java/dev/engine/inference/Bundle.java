package dev.engine.inference;

import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.Const;
import dev.engine.io.AtomicFiles;
import dev.engine.data.RowTransform;
import dev.engine.api.EngineException;
import dev.engine.api.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;

/**
 * The deployment file: one frozen graph with its weights, the fitted preprocessing and the
 * post-processing, in a versioned, checksummed container written atomically.
 *
 * <p>Layout (big-endian): magic {@code "ENGMODEL"}, format version (int: 4 since graphs with several inputs,
 * e.g. a key-padding mask, whose extra INPUT nodes a version-3 reader would reject as an invalid graph, so it
 * says "version 4 is not supported" instead; 3 since bf16 weights, 2 since int8 weights; 3, 2 and 1 are still read, 1 with its graph constants untagged F32, see {@link GraphCodec}), section count (int), then per
 * section its type (int), offset (long), length (long) and CRC32 (int), then a CRC32 of all header bytes
 * before it, then the sections. Sections: 1 graph ({@link GraphCodec}), 2 preprocessing (type name +
 * opaque bytes, see {@link RowTransforms}), 3 post-processing ({@link PostProcessor}). Loading checks the
 * magic, version, every offset and length against the file size and every checksum before parsing, so a
 * truncated, corrupted or hostile file fails with a {@link ModelFormatException}.
 *
 * <pre>{@code
 * Bundle.save(Path.of("digits.model"), frozen, AffineTransform.of(new float[]{1 / 16f}, new float[]{0}),
 *         PostProcessor.softmax(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")));
 * Bundle b = Bundle.load(Path.of("digits.model"));
 * }</pre>
 */
public final class Bundle {
    static final byte[] MAGIC = "ENGMODEL".getBytes(StandardCharsets.US_ASCII);
    /** The format version this code writes. */
    public static final int VERSION = 4;
    /** The oldest format version this code still reads. */
    public static final int OLDEST_READABLE = 1;
    static final int GRAPH = 1, PREPROCESS = 2, POSTPROCESS = 3;
    static final int HEADER_FIXED = 8 + 4 + 4, ENTRY = 4 + 8 + 8 + 4;
    private static final long MAX_FILE = Integer.MAX_VALUE - 64;

    private final Graph graph;
    private final RowTransform preprocessing;
    private final PostProcessor postProcessor;

    private Bundle(Graph graph, RowTransform pre, PostProcessor post) {
        this.graph = graph; this.preprocessing = pre; this.postProcessor = post;
    }

    public Graph graph() { return graph; }
    /** The fitted preprocessing ({@link RowTransforms#IDENTITY} when none was saved). */
    public RowTransform preprocessing() { return preprocessing; }
    public PostProcessor postProcessor() { return postProcessor; }

    /** Writes {@code model} with its preprocessing (null: identity) and post-processing (null: raw) to {@code path}. */
    public static void save(Path path, FrozenModel model, RowTransform pre, PostProcessor post) {
        AtomicFiles.write(path, toBytes(model.graph(), pre, post));
    }

    /** The bundle bytes. */
    public static byte[] toBytes(Graph g, RowTransform pre, PostProcessor post) {
        RowTransform p = pre == null ? RowTransforms.IDENTITY : pre;
        byte[][] sections = {
                GraphCodec.write(g),
                new ByteWriter().string(p.type()).bytes(p.save()).toByteArray(),
                (post == null ? PostProcessor.raw() : post).save()};
        int[] types = {GRAPH, PREPROCESS, POSTPROCESS};
        int headerLen = HEADER_FIXED + sections.length * ENTRY + 4;
        long total = headerLen;
        for (byte[] s : sections) total += s.length;
        if (total > MAX_FILE) throw new ModelFormatException("bundle: " + total + " bytes exceed the 2 GiB limit");
        ByteBuffer b = ByteBuffer.allocate((int) total);
        b.put(MAGIC).putInt(VERSION).putInt(sections.length);
        long off = headerLen;
        for (int i = 0; i < sections.length; i++) {
            b.putInt(types[i]).putLong(off).putLong(sections[i].length).putInt(crc(sections[i], 0, sections[i].length));
            off += sections[i].length;
        }
        b.putInt(crc(b.array(), 0, b.position()));
        for (byte[] s : sections) b.put(s);
        return b.array();
    }

    public static Bundle load(Path path) {
        if (path == null) throw new EngineException("bundle: path is null");
        try {
            long size = Files.size(path);
            if (size > MAX_FILE) throw new ModelFormatException("bundle " + path + ": " + size + " bytes exceed the 2 GiB limit");
            return fromBytes(Files.readAllBytes(path));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new EngineException("bundle " + path + " not found");
        } catch (IOException e) {
            throw new EngineException("could not read bundle " + path + ": " + e, e);
        }
    }

    public static Bundle fromBytes(byte[] f) {
        if (f.length < HEADER_FIXED) throw new ModelFormatException("bundle: " + f.length + " bytes is too short for a header (truncated?)");
        ByteBuffer b = ByteBuffer.wrap(f);
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) throw new ModelFormatException("bundle: bad magic; this is not an engine model bundle");
        int version = b.getInt();
        if (version < OLDEST_READABLE || version > VERSION)
            throw new ModelFormatException("bundle: format version " + version + " is not supported (this reader reads versions " + OLDEST_READABLE + " to " + VERSION + ")");
        int count = b.getInt();
        if (count < 1 || count > 16) throw new ModelFormatException("bundle: section count " + count + " outside 1..16");
        int headerLen = HEADER_FIXED + count * ENTRY + 4;
        if (f.length < headerLen) throw new ModelFormatException("bundle: file of " + f.length + " bytes ends inside its " + headerLen + "-byte header (truncated)");
        int headerCrc = b.getInt(headerLen - 4);
        if (headerCrc != crc(f, 0, headerLen - 4)) throw new ModelFormatException("bundle: header checksum mismatch (corrupted)");
        byte[][] sections = new byte[4][];
        long expectedOffset = headerLen;
        for (int i = 0; i < count; i++) {
            int type = b.getInt();
            long off = b.getLong(), len = b.getLong();
            int sum = b.getInt();
            if (type < GRAPH || type > POSTPROCESS) throw new ModelFormatException("bundle: unknown section type " + type);
            if (sections[type] != null) throw new ModelFormatException("bundle: section " + type + " appears twice");
            if (off != expectedOffset || len < 0 || len > f.length - off)
                throw new ModelFormatException("bundle: section " + type + " at offset " + off + " of length " + len + " does not fit a file of "
                        + f.length + " bytes (truncated or corrupt)");
            if (crc(f, (int) off, (int) len) != sum) throw new ModelFormatException("bundle: section " + name(type) + " checksum mismatch (corrupted)");
            sections[type] = java.util.Arrays.copyOfRange(f, (int) off, (int) (off + len));
            expectedOffset = off + len;
        }
        if (expectedOffset != f.length) throw new ModelFormatException("bundle: " + (f.length - expectedOffset) + " unexpected bytes after the last section");
        if (sections[GRAPH] == null) throw new ModelFormatException("bundle: no graph section");
        Graph g = GraphCodec.read(sections[GRAPH], version);
        checkFinite(g);
        RowTransform pre = RowTransforms.IDENTITY;
        if (sections[PREPROCESS] != null) {
            ByteReader r = new ByteReader(sections[PREPROCESS], "preprocessing section");
            String type = r.string("type name");
            byte[] state = r.bytes("state");
            r.end();
            pre = RowTransforms.load(type, state);
        }
        PostProcessor post = sections[POSTPROCESS] == null ? PostProcessor.raw() : PostProcessor.load(sections[POSTPROCESS]);
        return new Bundle(g, pre, post);
    }

    /** A NaN or infinite weight would only ever predict NaN: refuse it at load, naming the tensor. */
    private static void checkFinite(Graph g) {
        for (Node n : g.nodes()) {
            for (java.util.Map.Entry<String, Const> c : n.consts().entrySet()) {
                float[] d = c.getValue().data();
                for (int i = 0; i < d.length; i++) {
                    if (!Float.isFinite(d[i]))
                        throw new ModelFormatException("bundle: weight '" + c.getKey() + "' of node '" + n.name() + "' holds " + d[i]
                                + " at element " + i + " (the model diverged before it was saved?)");
                }
            }
        }
    }

    private static String name(int type) {
        return switch (type) { case GRAPH -> "graph"; case PREPROCESS -> "preprocessing"; default -> "post-processing"; };
    }

    static int crc(byte[] a, int off, int len) {
        CRC32 c = new CRC32();
        c.update(a, off, len);
        return (int) c.getValue();
    }
}
