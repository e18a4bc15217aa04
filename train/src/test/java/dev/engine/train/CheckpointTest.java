package dev.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints are checksummed: any flipped byte fails to load instead of resuming with different numbers. */
class CheckpointTest {
    @TempDir Path dir;

    @Test void roundTripAndEveryFlippedByteIsCaught() throws Exception {
        Path file = dir.resolve("last.safetensors");
        try (MemoryScope s = MemoryScope.open()) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            m.put("model.w", Tensor.of(new float[] {1.5f, -2f, 3.25f, 0f}, 2, 2));
            m.put("optim.step", Tensor.ofLongs(new long[] {7}, 1));
            m.put("trainer.best", Tensor.of(new double[] {0.125}, 1));
            Checkpoint.write(file, m);
            Map<String, Tensor> back = Checkpoint.read(file);
            assertEquals(m.keySet(), back.keySet());
            assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 0f}, back.get("model.w").toFloatArray());
        }
        byte[] good = Files.readAllBytes(file);
        Random r = new Random(14);   // fixed seed: the same fuzz every run
        Path bad = dir.resolve("bad.safetensors");
        for (int trial = 0; trial < 300; trial++) {
            byte[] b = good.clone();
            int at = r.nextInt(b.length);
            b[at] ^= (byte) (1 << r.nextInt(8));
            Files.write(bad, b);
            Throwable t = assertThrows(Throwable.class, () -> {
                try (MemoryScope s = MemoryScope.open()) {
                    Checkpoint.read(bad);
                }
            }, "flipped byte " + at);
            assertTrue(t instanceof EngineException, "byte " + at + ": " + t);
        }
    }
}
