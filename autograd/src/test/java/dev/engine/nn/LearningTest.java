package dev.engine.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.autograd.Generator;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.nn.loss.BCEWithLogitsLoss;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.nn.loss.Loss;
import dev.engine.optim.Adam;
import dev.engine.optim.AdamW;
import dev.engine.optim.GradClip;
import dev.engine.optim.Optimizer;
import dev.engine.optim.SGD;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Deterministic end-to-end learning: small models fit small problems, each step in its own memory scope. */
class LearningTest {
    /** Runs {@code steps} full-batch steps; returns the last loss. Checks native memory does not grow. */
    static double train(Module model, Loss lossFn, Optimizer opt, Supplier<Tensor> x, Tensor y, int steps) {
        double loss = Double.NaN;
        long liveAfterWarmup = -1;
        for (int s = 0; s < steps; s++) {
            try (MemoryScope scope = MemoryScope.open()) {
                opt.zeroGrad();
                Tensor l = lossFn.forward(model.forward(x.get()), y);
                l.backward();
                GradClip.byNorm(opt.params(), 10);
                opt.step();
                loss = l.item();
            }
            long live = Tensor.defaultBackend().memoryStats().liveBytes();
            if (s == 2) liveAfterWarmup = live;
            if (s > 2) assertTrue(live <= liveAfterWarmup, "native memory grew at step " + s + ": " + live + " > " + liveAfterWarmup);
        }
        return loss;
    }

    static double accuracy(Module model, Tensor x, long[] labels) {
        try (MemoryScope s = MemoryScope.open(); GradMode g = GradMode.noGrad()) {
            model.eval();
            long[] pred = model.forward(x).argmax(1, false).toLongArray();
            model.train();
            int ok = 0;
            for (int i = 0; i < labels.length; i++) if (pred[i] == labels[i]) ok++;
            return (double) ok / labels.length;
        }
    }

    @Test void mlpLearnsXor() {
        Generator g = new Generator(1);
        var model = new Sequential(new Linear(2, 8, g), new Tanh(), new Linear(8, 1, g));
        Tensor x = MemoryScope.detach(Tensor.of(new float[]{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2));
        Tensor y = MemoryScope.detach(Tensor.of(new float[]{0, 1, 1, 0}, 4, 1));
        double loss = train(model, new BCEWithLogitsLoss(), new Adam(model.parameters(), 0.05), () -> x, y, 400);
        assertTrue(loss < 0.01, "XOR loss " + loss);
        float[] out = model.forward(x).toFloatArray();
        assertTrue(out[0] < 0 && out[1] > 0 && out[2] > 0 && out[3] < 0);
    }

    @Test void mlpFitsTwoMoons() {
        Generator g = new Generator(2);
        int n = 200;
        float[] pts = new float[2 * n];
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            int c = i % 2;
            double t = Math.PI * g.nextDouble();
            double px = c == 0 ? Math.cos(t) : 1 - Math.cos(t), py = c == 0 ? Math.sin(t) : 0.5 - Math.sin(t);
            pts[2 * i] = (float) (px + 0.1 * g.nextGaussian());
            pts[2 * i + 1] = (float) (py + 0.1 * g.nextGaussian());
            labels[i] = c;
        }
        Tensor x = MemoryScope.detach(Tensor.of(pts, n, 2)), y = MemoryScope.detach(Tensor.ofLongs(labels, n));
        var model = new Sequential(new Linear(2, 32, g), new ReLU(), new Linear(32, 32, g), new ReLU(), new Linear(32, 2, g));
        double loss = train(model, new CrossEntropyLoss(), new AdamW(model.parameters(), 0.02), () -> x, y, 300);
        double acc = accuracy(model, x, labels);
        assertTrue(acc > 0.95, "two-moons train accuracy " + acc + " (loss " + loss + ")");
    }

    @Test void leNetOverfitsTinyBatch() {
        Generator g = new Generator(3);
        var model = new Sequential(
                new Conv2d(1, 4, 3, g).padding(1), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
                new Conv2d(4, 8, 3, g).padding(1), new ReLU(), new AvgPool2d(2),
                new Flatten(), new Linear(8 * 3 * 3, 16, g), new ReLU(), new Dropout(0.1, 7), new Linear(16, 4, g));
        Tensor x = MemoryScope.detach(Tensor.randn(g, 8, 1, 12, 12));
        long[] labels = {0, 1, 2, 3, 3, 2, 1, 0};
        Tensor y = MemoryScope.detach(Tensor.ofLongs(labels, 8));
        double loss = train(model, new CrossEntropyLoss(), new Adam(model.parameters(), 0.01), () -> x, y, 120);
        assertTrue(loss < 0.05, "LeNet tiny-batch loss " + loss);
        assertEquals(1.0, accuracy(model, x, labels));
    }

    @Test void tinyTransformerOverfitsShortSequences() {
        Generator g = new Generator(4);
        long vocab = 6, len = 5, batch = 4, d = 16;
        Embedding tok = new Embedding(vocab, d, g), pos = new Embedding(len, d, g);
        TransformerEncoderLayer block = new TransformerEncoderLayer(d, 2, 32, 0.0, false, false, g);
        Linear head = new Linear(d, vocab, g);
        Tensor positions = MemoryScope.detach(Tensor.ofLongs(new long[]{0, 1, 2, 3, 4}, 1, len));
        Module model = new Module() {
            { registerModule("tok", tok); registerModule("pos", pos); registerModule("block", block); registerModule("head", head); }
            @Override public Tensor forward(Tensor ids) {
                Tensor h = tok.forward(ids).add(pos.forward(positions));
                return head.forward(block.forward(h, null, true)).reshape(-1, vocab);
            }
        };
        long[] in = {1, 2, 3, 4, 5, 5, 4, 3, 2, 1, 2, 2, 3, 3, 4, 0, 1, 0, 1, 0};
        long[] target = new long[in.length];     // next token of each sequence (causal), last predicts 0
        for (int b = 0; b < batch; b++) for (int t = 0; t < len; t++) target[(int) (b * len + t)] = t + 1 < len ? in[(int) (b * len + t + 1)] : 0;
        Tensor ids = MemoryScope.detach(Tensor.ofLongs(in, batch, len)), y = MemoryScope.detach(Tensor.ofLongs(target, batch * len));
        double loss = train(model, new CrossEntropyLoss(), new Adam(model.parameters(), 0.01), () -> ids, y, 150);
        assertTrue(loss < 0.05, "transformer loss " + loss);
    }

    @Test void sgdWithMomentumAlsoLearnsXor() {
        Generator g = new Generator(5);
        var model = new Sequential(new Linear(2, 16, g), new ReLU(), new Linear(16, 2, g));
        Tensor x = MemoryScope.detach(Tensor.of(new float[]{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2));
        long[] labels = {0, 1, 1, 0};
        Tensor y = MemoryScope.detach(Tensor.ofLongs(labels, 4));
        double loss = train(model, new CrossEntropyLoss(), new SGD(model.parameters(), 0.1, 0.9, 0, 0, true), () -> x, y, 300);
        assertTrue(loss < 0.02, "XOR (SGD) loss " + loss);
        assertEquals(1.0, accuracy(model, x, labels));
    }
}
