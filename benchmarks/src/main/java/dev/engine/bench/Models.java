package dev.engine.bench;

import dev.engine.autograd.Tensor;
import dev.engine.inference.Safetensors;
import dev.engine.nn.AdaptiveAvgPool2d;
import dev.engine.nn.BatchNorm2d;
import dev.engine.nn.Conv2d;
import dev.engine.nn.Init;
import dev.engine.nn.Residual;
import dev.engine.nn.Flatten;
import dev.engine.nn.Linear;
import dev.engine.nn.MaxPool2d;
import dev.engine.nn.ReLU;
import dev.engine.nn.Sequential;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The models the inference and training benchmarks share: the 784-512-512-10 MLP and LeNet-5 (as
 * {@link Sequential}s of nn layers), and where the PyTorch-trained weights live.
 *
 * <p>Weights: {@code -Dengine.models=DIR}, else {@code $ENGINE_MODELS}, else the first
 * {@code shared/data/models} found in the working directory or one of its ancestors (the repository's
 * {@code ../shared/data/models} from the repository root or any folder inside it).
 */
public final class Models {
    private Models() {}

    /** The models folder, or null when none is found. */
    public static Path dir() {
        String p = System.getProperty("engine.models");
        if (p == null || p.isBlank()) p = System.getenv("ENGINE_MODELS");
        if (p != null && !p.isBlank()) {
            Path d = Path.of(p).toAbsolutePath();
            return Files.isDirectory(d) ? d : null;
        }
        for (Path a = Path.of("").toAbsolutePath(); a != null; a = a.getParent()) {
            Path d = a.resolve("shared/data/models");
            if (Files.isRegularFile(d.resolve("mlp.safetensors"))) return d;
        }
        return null;
    }

    /** True when {@code name.safetensors} is present in {@link #dir()}. */
    public static boolean available(String name) {
        Path d = dir();
        return d != null && Files.isRegularFile(d.resolve(name + ".safetensors"));
    }

    /** The weights file, or an exception that says where it was looked for and how to point at it. */
    public static Path weights(String name) {
        Path d = dir();
        if (d == null || !Files.isRegularFile(d.resolve(name + ".safetensors")))
            throw new IllegalStateException(name + ".safetensors not found: looked in " + (d != null ? d
                    : "-Dengine.models, $ENGINE_MODELS and shared/data/models above " + Path.of("").toAbsolutePath())
                    + ". The repository's models live in ../shared/data/models (relative to its root); "
                    + "pass -Dengine.models=DIR to point elsewhere.");
        return d.resolve(name + ".safetensors");
    }

    /** 784-h1-h2-...-10 with ReLU between the Linear layers (children 0, 2, 4, ...). */
    public static Sequential mlp(int... widths) {
        Sequential s = new Sequential();
        for (int i = 0; i + 1 < widths.length; i++) {
            if (i > 0) s.add(new ReLU());
            s.add(new Linear(widths[i], widths[i + 1]));
        }
        return s;
    }

    /** The MLP: 784-512-512-10. */
    public static Sequential mlp() { return mlp(784, 512, 512, 10); }

    /** LeNet-5 for 1x28x28: conv(6,5) relu pool conv(16,5) relu pool flatten fc120 relu fc84 relu fc10. */
    public static Sequential lenet() {
        return new Sequential(new Conv2d(1, 6, 5), new ReLU(), new MaxPool2d(2), new Conv2d(6, 16, 5), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(256, 120), new ReLU(), new Linear(120, 84), new ReLU(), new Linear(84, 10));
    }

    /**
     * A small ResNet-style net for 3x32x32 (the PyTorch peer in benchmarks/peers/torch_train_step.py builds
     * the same): a 3x3 stem to 16 channels, then at 16, 32 and 64 channels one residual block each
     * (conv-BN-ReLU-conv-BN plus the identity, then ReLU), joined by 3x3 stride-2 conv-BN-ReLU transitions;
     * global average pool and a linear classifier. Convolutions have no bias (batch norm follows each).
     */
    public static Sequential resnet() {
        Sequential s = new Sequential(conv3(3, 16, 1), new BatchNorm2d(16), new ReLU());
        for (int c : new int[]{16, 32, 64}) {
            if (c > 16) s.add(conv3(c / 2, c, 2)).add(new BatchNorm2d(c)).add(new ReLU());
            s.add(new Residual(new Sequential(conv3(c, c, 1), new BatchNorm2d(c), new ReLU(), conv3(c, c, 1), new BatchNorm2d(c))));
            s.add(new ReLU());
        }
        return s.add(new AdaptiveAvgPool2d(1)).add(new Flatten()).add(new Linear(64, 10));
    }

    private static Conv2d conv3(int in, int out, int stride) {
        return new Conv2d(in, out, new int[]{3, 3}, new int[]{stride, stride}, new int[]{1, 1}, new int[]{1, 1}, 1, false,
                Init.defaultGenerator());
    }

    /** PyTorch names of the shared LeNet's layers -> our Sequential's indices. */
    private static final Map<String, String> LENET_NAMES = Map.of("conv1", "0", "conv2", "3", "fc1", "7", "fc2", "9", "fc3", "11");

    /**
     * Builds {@code name} ("mlp" or "lenet") and loads the shared PyTorch weights into it through
     * {@code loadStateDict} (strict), renaming PyTorch's keys ("net.0.weight", "conv1.weight") to ours.
     */
    public static Sequential pretrained(String name) {
        Sequential model = switch (name) {
            case "mlp" -> mlp();
            case "lenet" -> lenet();
            default -> throw new IllegalArgumentException("unknown model " + name + " (mlp or lenet)");
        };
        Map<String, Tensor> sd = Safetensors.readTensors(weights(name));
        Map<String, Tensor> ours = new LinkedHashMap<>();
        sd.forEach((k, v) -> {
            String key = k.startsWith("net.") ? k.substring(4) : k;
            int dot = key.indexOf('.');
            String head = key.substring(0, dot);
            ours.put(LENET_NAMES.getOrDefault(head, head) + key.substring(dot), v);
        });
        try {
            model.loadStateDict(ours);
        } finally {
            sd.values().forEach(Tensor::close);
        }
        return model;
    }

    /** The input shape of one sample. */
    public static long[] sampleShape(String name) {
        return name.equals("lenet") ? new long[]{1, 28, 28} : new long[]{784};
    }
}
