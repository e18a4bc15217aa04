package dev.engine.inference.onnx;

import dev.engine.api.EngineException;
import dev.engine.api.ModelFormatException;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.Freezer;
import dev.engine.inference.FrozenModel;
import dev.engine.graph.Graph;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * ONNX import into the frozen path: an {@code .onnx} file (opsets 13 to 21, tensors inline or in side
 * files) becomes the same graph IR the tracer records, then runs through the same passes to a
 * {@link FrozenModel}. The first axis of the single input stays dynamic (any batch size); other symbolic
 * dims take their sizes from an example input shape. A file the importer cannot run fails with a
 * {@link ModelFormatException} naming the field, or the op, node and opset.
 *
 * <pre>{@code
 * try (FrozenModel m = Onnx.load(Path.of("lenet.onnx"))) {
 *     float[] logits = m.run(pixels, 64);                    // [64, 10]
 *     System.out.println(m.describePlan(1));
 * }
 * // symbolic sequence length: give an example shape
 * FrozenModel enc = Onnx.load(Path.of("encoder.onnx"), new long[]{1, 64, 128}, FreezeOptions.defaults());
 * // with preprocessing and labels attached, as a bundle would carry them
 * Predictor p = new Predictor(Onnx.load(Path.of("lenet.onnx")), new PipelineTransform(prep), PostProcessor.softmax(labels));
 * }</pre>
 */
public final class Onnx {
    private Onnx() {}

    /** Imports and freezes with every pass, on the preferred backend. */
    public static FrozenModel load(Path path) { return load(path, null, FreezeOptions.defaults()); }

    /** Imports and freezes; {@code exampleShape} (may be null) resolves symbolic input dims. */
    public static FrozenModel load(Path path, long[] exampleShape, FreezeOptions opts) {
        return Freezer.freeze(toGraph(path, exampleShape), opts);
    }

    /** The unoptimised graph of an ONNX file (side files are looked up next to it). */
    public static Graph toGraph(Path path, long[] exampleShape) {
        return toGraph(read(path), path.toAbsolutePath().getParent(), exampleShape);
    }

    /** The graph of ONNX bytes; {@code baseDir} (may be null) is where external-data files are looked up. */
    public static Graph toGraph(byte[] bytes, Path baseDir, long[] exampleShape) {
        if (bytes == null) throw new EngineException("onnx: no bytes");
        try {
            return OnnxImporter.toGraph(OnnxProto.parse(bytes), baseDir, exampleShape);
        } catch (OutOfMemoryError e) { // a bound missed somewhere must still not take the JVM down
            throw new ModelFormatException("onnx: the model needs more memory than is available while importing", null);
        } catch (StackOverflowError | ArithmeticException | IndexOutOfBoundsException | NegativeArraySizeException | IllegalArgumentException
                 | ClassCastException | NullPointerException e) { // a combination of fields no check above anticipated
            throw new ModelFormatException("onnx: malformed model (" + e + ")", e);
        }
    }

    private static byte[] read(Path path) {
        try {
            long size = Files.size(path);
            if (size > Integer.MAX_VALUE - 8)
                throw new ModelFormatException("onnx " + path + ": " + size + " bytes; protobuf files stop at 2 GiB (store large tensors as external data)");
            return Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException("onnx: no such file " + path, e);
        } catch (IOException e) {
            throw new ModelFormatException("onnx: cannot read " + path + ": " + e.getMessage(), e);
        }
    }
}
