package dev.engine.inference.onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** Where the ONNX test models live and how their raw float32 reference files are read. */
final class OnnxFiles {
    /** PyTorch's MLP and LeNet (shared, read-only). */
    static final Path SHARED = Path.of("../../shared/data/models");
    /** Models made by src/test/resources/onnx/make_models.py, committed with their references. */
    static final Path OWN = Path.of("src/test/resources/onnx");

    private OnnxFiles() {}

    static Path shared() {
        Assumptions.assumeTrue(Files.isDirectory(SHARED), "reference models not found at " + SHARED.toAbsolutePath() + "; skipping");
        return SHARED;
    }

    static float[] readF32(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] r = new float[b.remaining() / 4];
        b.asFloatBuffer().get(r);
        return r;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new AssertionError("lengths " + a.length + " vs " + b.length);
        double w = 0;
        for (int i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]));
        return w;
    }
}
