package dev.engine.train;

import dev.engine.api.DType;
import dev.engine.api.ModelFormatException;
import dev.engine.autograd.Tensor;
import dev.engine.inference.Safetensors;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;

/**
 * A training checkpoint: model state, optimizer state and the trainer's own counters in one
 * safetensors file ("model.*", "optim.*", "trainer.*", "history.*"), written atomically, with a CRC32 of
 * every entry's name, type, shape and values ("checkpoint.crc32") so that a corrupted file fails to load
 * instead of resuming with different numbers. Loading it into the same model/optimizer configuration
 * continues training bit-identically.
 *
 * <pre>{@code
 * Map<String, Tensor> all = Checkpoint.read(Path.of("ckpt/last.safetensors"));
 * model.loadStateDict(Checkpoint.section(all, "model."));
 * }</pre>
 */
public final class Checkpoint {
    static final String CRC = "checkpoint.crc32";

    private Checkpoint() {}

    /** Writes the entries and their checksum atomically. */
    public static void write(Path file, Map<String, Tensor> entries) {
        Map<String, Tensor> all = new LinkedHashMap<>(entries);
        all.remove(CRC);
        long crc = checksum(all);
        all.put(CRC, Tensor.ofLongs(new long[] {crc}, 1));
        Safetensors.writeTensors(file, all);
    }

    /** Reads a checkpoint; fails with a {@link ModelFormatException} when its checksum does not match. */
    public static Map<String, Tensor> read(Path file) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Safetensors.read(file).forEach((k, v) -> out.put(k, v.toTensor()));
        Tensor stored = out.remove(CRC);
        if (stored == null) throw new ModelFormatException("checkpoint " + file + " has no checksum (" + CRC + "); it was not written by Checkpoint.write");
        long expected = stored.toLongArray()[0];
        if (checksum(out) != expected) throw new ModelFormatException("checkpoint " + file + ": checksum mismatch (the file is corrupted)");
        return out;
    }

    /** CRC32 over the entries in name order: name, dtype, shape, then the values' exact bits. */
    static long checksum(Map<String, Tensor> entries) {
        CRC32 crc = new CRC32();
        for (String name : new TreeMap<>(entries).keySet()) {
            Tensor t = entries.get(name);
            crc.update(name.getBytes(StandardCharsets.UTF_8));
            crc.update(t.dtype().name().getBytes(StandardCharsets.UTF_8));
            long[] shape = t.shape();
            ByteBuffer b = ByteBuffer.allocate(8 * shape.length);
            for (long d : shape) b.putLong(d);
            crc.update(b.array());
            if (t.dtype() == DType.F64) {
                double[] v = t.toDoubleArray();
                ByteBuffer vb = ByteBuffer.allocate(8 * v.length);
                for (double x : v) vb.putLong(Double.doubleToRawLongBits(x));
                crc.update(vb.array());
            } else if (t.dtype().isFloating()) {
                float[] v = t.toFloatArray();
                ByteBuffer vb = ByteBuffer.allocate(4 * v.length);
                for (float x : v) vb.putInt(Float.floatToRawIntBits(x));
                crc.update(vb.array());
            } else {
                long[] v = t.toLongArray();
                ByteBuffer vb = ByteBuffer.allocate(8 * v.length);
                for (long x : v) vb.putLong(x);
                crc.update(vb.array());
            }
        }
        return crc.getValue();
    }

    /** Entries under a prefix, with the prefix removed. */
    public static Map<String, Tensor> section(Map<String, Tensor> all, String prefix) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        all.forEach((k, v) -> { if (k.startsWith(prefix)) out.put(k.substring(prefix.length()), v); });
        return out;
    }

    static void put(Map<String, Tensor> m, String prefix, Map<String, Tensor> section) {
        section.forEach((k, v) -> m.put(prefix + k, v));
    }
}
