package dev.engine.cli;

import dev.engine.api.EngineException;
import dev.engine.autograd.Generator;
import dev.engine.nn.Conv2d;
import dev.engine.nn.Dropout;
import dev.engine.nn.Flatten;
import dev.engine.nn.Linear;
import dev.engine.nn.MaxPool2d;
import dev.engine.nn.ReLU;
import dev.engine.nn.Reshape;
import dev.engine.nn.Sequential;

/** The architectures the CLI can train by name: mlp, cnn, lenet. */
final class Models {
    private Models() {}

    /**
     * @param sampleShape one sample's feature shape (e.g. [64] or [1, 28, 28])
     * @param hidden      hidden layer widths for the MLP
     */
    static Sequential build(String kind, int[] sampleShape, int classes, int[] hidden, double dropout, long seed) {
        Generator g = new Generator(seed);
        int features = 1;
        for (int d : sampleShape) features *= d;
        switch (kind) {
            case "mlp": {
                Sequential m = new Sequential();
                if (sampleShape.length > 1) m.add(new Flatten());
                int in = features;
                for (int h : hidden) {
                    m.add(new Linear(in, h, g)).add(new ReLU());
                    if (dropout > 0) m.add(new Dropout(dropout, g.nextLong()));
                    in = h;
                }
                return m.add(new Linear(in, classes, g));
            }
            case "cnn": {
                int side = square(features, kind);
                if (side % 4 != 0) throw new EngineException("--model cnn needs square images whose side is a multiple of 4, got " + side);
                return new Sequential(new Reshape(1, side, side),
                        new Conv2d(1, 16, new int[]{3, 3}, new int[]{1, 1}, new int[]{1, 1}, new int[]{1, 1}, 1, true, g), new ReLU(), new MaxPool2d(2),
                        new Conv2d(16, 32, new int[]{3, 3}, new int[]{1, 1}, new int[]{1, 1}, new int[]{1, 1}, 1, true, g), new ReLU(), new MaxPool2d(2),
                        new Flatten(), new Linear(32L * (side / 4) * (side / 4), classes, g));
            }
            case "lenet": {
                int side = square(features, kind);
                if (side != 28) throw new EngineException("--model lenet expects 28x28 images, got " + side + "x" + side);
                return new Sequential(new Reshape(1, 28, 28),
                        new Conv2d(1, 6, 5, g), new ReLU(), new MaxPool2d(2),
                        new Conv2d(6, 16, 5, g), new ReLU(), new MaxPool2d(2), new Flatten(),
                        new Linear(256, 120, g), new ReLU(), new Linear(120, 84, g), new ReLU(), new Linear(84, classes, g));
            }
            default:
                throw new EngineException("--model: unknown architecture '" + kind + "' (known: mlp, cnn, lenet)");
        }
    }

    private static int square(int features, String kind) {
        int side = (int) Math.round(Math.sqrt(features));
        if (side * side != features) throw new EngineException("--model " + kind + " needs square images; a sample has " + features + " features");
        return side;
    }
}
