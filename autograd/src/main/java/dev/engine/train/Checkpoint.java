package dev.engine.train;

import dev.engine.autograd.Tensor;
import dev.engine.inference.Safetensors;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A training checkpoint: model state, optimizer state and the trainer's own counters in one
 * safetensors file ("model.*", "optim.*", "trainer.*", "history.*"), written atomically. Loading it into
 * the same model/optimizer configuration continues training bit-identically.
 *
 * <pre>{@code
 * Map<String, Tensor> all = Checkpoint.read(Path.of("ckpt/last.safetensors"));
 * model.loadStateDict(Checkpoint.section(all, "model."));
 * }</pre>
 */
public final class Checkpoint {
    private Checkpoint() {}

    public static void write(Path file, Map<String, Tensor> entries) { Safetensors.writeTensors(file, entries); }

    public static Map<String, Tensor> read(Path file) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Safetensors.read(file).forEach((k, v) -> out.put(k, v.toTensor()));
        return out;
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
