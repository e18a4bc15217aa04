package dev.engine.spark;

import dev.engine.autograd.Generator;
import dev.engine.autograd.Tensor;
import dev.engine.data.Dataset;
import dev.engine.data.Idx;
import dev.engine.data.Pipeline;
import dev.engine.data.PipelineTransform;
import dev.engine.data.Scale;
import dev.engine.data.Split;
import dev.engine.inference.Bundle;
import dev.engine.inference.Freezer;
import dev.engine.inference.FrozenModel;
import dev.engine.inference.PostProcessor;
import dev.engine.nn.Linear;
import dev.engine.nn.Module;
import dev.engine.nn.ReLU;
import dev.engine.nn.Sequential;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.Adam;
import dev.engine.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A Fashion-MNIST MLP bundle: raw pixels in, Scale 1/255 saved as its preprocessing, softmax over the class names. */
final class FashionBundle {
    private FashionBundle() {}

    /**
     * Trains a 784-hidden...-10 ReLU MLP with Adam 1e-3, batch 64, for {@code epochs} on the first {@code rows}
     * training rows and saves it at {@code path}.
     */
    static Path create(Path path, int rows, int epochs, int... hidden) {
        Split s = FashionData.load();
        Pipeline prep = Pipeline.of(new Scale(1f / 255)).fit(s.train());
        Dataset train = prep.applyTraining(FashionData.head(s.train(), rows));
        Generator g = new Generator(3);
        List<Module> layers = new ArrayList<>();
        int in = 784;
        for (int h : hidden) { layers.add(new Linear(in, h, g)); layers.add(new ReLU()); in = h; }
        layers.add(new Linear(in, 10, g));
        Sequential net = new Sequential(layers.toArray(new Module[0]));
        Trainer.builder(net, new CrossEntropyLoss(), new Adam(net.parameters(), 1e-3)).epochs(epochs).batchSize(64).seed(1).build().fit(train);
        try (FrozenModel frozen = Freezer.freeze(net, Tensor.zeros(1, 784))) {
            Bundle.save(path, frozen, new PipelineTransform(prep), PostProcessor.softmax(Idx.FASHION_MNIST_CLASSES));
        }
        return path;
    }
}
