package dev.engine.inference;

import dev.engine.graph.Graph;
import dev.engine.graph.Traceable;
import dev.engine.graph.Value;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;

/** Graph builders and data helpers shared by the inference tests. */
final class Models {
    static final Path DATA = Path.of("../../shared/data/models");

    private Models() {}

    static Path requireData() {
        Assumptions.assumeTrue(Files.isDirectory(DATA), "reference models not found at " + DATA.toAbsolutePath()
                + " (the repository is expected beside shared/); skipping");
        return DATA;
    }

    static float[] readF32(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] r = new float[b.remaining() / 4];
        b.asFloatBuffer().get(r);
        return r;
    }

    /** The PyTorch 784-512-512-10 MLP from its state dict. */
    static Traceable mlp(Map<String, Safetensors.Entry> sd) {
        return (t, x) -> {
            Value h = t.relu(t.named("fc1").linear(x, sd.get("net.0.weight").floats(), 512, 784, sd.get("net.0.bias").floats()));
            h = t.relu(t.named("fc2").linear(h, sd.get("net.2.weight").floats(), 512, 512, sd.get("net.2.bias").floats()));
            return t.named("fc3").linear(h, sd.get("net.4.weight").floats(), 10, 512, sd.get("net.4.bias").floats());
        };
    }

    /** The PyTorch LeNet-5 from its state dict. */
    static Traceable lenet(Map<String, Safetensors.Entry> sd) {
        return (t, x) -> {
            Value h = t.relu(t.named("conv1").conv2d(x, sd.get("conv1.weight").floats(), 6, 1, 5, sd.get("conv1.bias").floats(), 1, 0));
            h = t.maxPool2d(h, 2, 2, 0);
            h = t.relu(t.named("conv2").conv2d(h, sd.get("conv2.weight").floats(), 16, 6, 5, sd.get("conv2.bias").floats(), 1, 0));
            h = t.flatten(t.maxPool2d(h, 2, 2, 0));
            h = t.relu(t.named("fc1").linear(h, sd.get("fc1.weight").floats(), 120, 256, sd.get("fc1.bias").floats()));
            h = t.relu(t.named("fc2").linear(h, sd.get("fc2.weight").floats(), 84, 120, sd.get("fc2.bias").floats()));
            return t.named("fc3").linear(h, sd.get("fc3.weight").floats(), 10, 84, sd.get("fc3.bias").floats());
        };
    }

    static float[] randn(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    static float[] positive(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = 0.5f + r.nextFloat();
        return a;
    }

    /** A small random MLP with dropout and identity (removed by DCE), in -> h -> h -> out. */
    static Traceable tinyMlp(long seed, int in, int hidden, int out) {
        Random r = new Random(seed);
        float[] w1 = randn(r, hidden * in, 0.3), b1 = randn(r, hidden, 0.1), w2 = randn(r, hidden * hidden, 0.3), b2 = randn(r, hidden, 0.1);
        float[] w3 = randn(r, out * hidden, 0.3), b3 = randn(r, out, 0.1);
        return (t, x) -> {
            Value h = t.relu(t.linear(x, w1, hidden, in, b1));
            h = t.dropout(h, 0.5);
            h = t.gelu(t.linear(h, w2, hidden, hidden, b2));
            h = t.identity(h);
            return t.linear(h, w3, out, hidden, b3);
        };
    }

    /** A small CNN: conv+BN+relu, maxpool, conv+BN+tanh, avgpool, adaptive pool, flatten, linear. */
    static Traceable tinyCnn(long seed) {
        Random r = new Random(seed);
        float[] c1 = randn(r, 4 * 2 * 3 * 3, 0.3), cb1 = randn(r, 4, 0.1), c2 = randn(r, 6 * 4 * 3 * 3, 0.3);
        float[] g1 = positive(r, 4), be1 = randn(r, 4, 0.1), m1 = randn(r, 4, 0.1), v1 = positive(r, 4);
        float[] g2 = positive(r, 6), be2 = randn(r, 6, 0.1), m2 = randn(r, 6, 0.1), v2 = positive(r, 6);
        float[] fw = randn(r, 5 * 24, 0.3), fb = randn(r, 5, 0.1);
        return (t, x) -> {
            Value h = t.named("conv1").conv2d(x, c1, 4, 2, 3, cb1, 1, 1);
            h = t.relu(t.named("bn1").batchNorm(h, g1, be1, m1, v1, 1e-5));
            h = t.maxPool2d(h, 2, 2, 0);
            h = t.named("conv2").conv2d(h, c2, new long[]{6, 4, 3, 3}, null, new int[]{1, 1}, new int[]{1, 1}, new int[]{1, 1}, 1);
            h = t.tanh(t.named("bn2").batchNorm(h, g2, be2, m2, v2, 1e-5));
            h = t.avgPool2d(h, 2, 2, 0, true);
            h = t.adaptiveAvgPool2d(h, 2, 2);
            h = t.flatten(h);
            return t.named("fc").linear(h, fw, 5, 24, fb);
        };
    }

    /**
     * Two convolution + ReLU + 2x2 max pool chains on 1x28x28 (the fusable kind), then conv3 + ReLU whose output
     * a max pool and an average pool both read (not fusable).
     */
    static Traceable convReluPoolChains(long seed) {
        Random r = new Random(seed);
        float[] w1 = randn(r, 6 * 25, 0.3), b1 = randn(r, 6, 0.1), w2 = randn(r, 16 * 6 * 25, 0.1), b2 = randn(r, 16, 0.1);
        float[] w3 = randn(r, 16 * 16 * 9, 0.1);
        return (t, x) -> {
            Value h = t.maxPool2d(t.relu(t.named("conv1").conv2d(x, w1, 6, 1, 5, b1, 1, 0)), 2, 2, 0);     // 28 -> 24 -> 12
            h = t.maxPool2d(t.relu(t.named("conv2").conv2d(h, w2, 16, 6, 5, b2, 1, 2)), 2, 2, 0);         // 12 -> 12 -> 6
            Value c = t.relu(t.named("conv3").conv2d(h, w3, 16, 16, 3, null, 1, 1));
            return t.flatten(t.add(t.maxPool2d(c, 2, 2, 0), t.avgPool2d(c, 2, 2, 0, true)));              // conv3 read twice
        };
    }

    /** Residual MLP: x -> fc1 -> relu -> fc2 (+x) -> relu -> *2+1 -> fc3 -> softmax. */
    static Traceable residual(long seed, int d, int out) {
        Random r = new Random(seed);
        float[] w1 = randn(r, d * d, 0.3), b1 = randn(r, d, 0.1), w2 = randn(r, d * d, 0.3), b2 = randn(r, d, 0.1);
        float[] w3 = randn(r, out * d, 0.3), b3 = randn(r, out, 0.1), ln = positive(r, d), lb = randn(r, d, 0.1);
        return (t, x) -> {
            Value h = t.relu(t.named("fc1").linear(x, w1, d, d, b1));
            h = t.relu(t.add(t.named("fc2").linear(h, w2, d, d, b2), x));
            h = t.addScalar(t.mulScalar(h, 2), 1);
            h = t.named("ln").layerNorm(h, ln, lb, 1e-5);
            return t.softmax(t.named("fc3").linear(h, w3, out, d, b3));
        };
    }
}
