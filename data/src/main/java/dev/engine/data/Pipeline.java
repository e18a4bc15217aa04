package dev.engine.data;

import dev.engine.api.EngineException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * An ordered list of {@link Preprocessor} steps. {@link #fit(Dataset)} fits each step on the training
 * rows as transformed by the steps before it (so {@link DeDuplicate} and encoders affect what later
 * steps learn) and returns the fitted pipeline; that one is immutable and thread-safe and applies the
 * steps in order to a dataset ({@link #apply(Dataset)}), to training data ({@link #applyTraining(Dataset)},
 * which also drops duplicates) or to one raw row ({@link #transform(float[])}), which is what a
 * deployed model calls. A fitted pipeline is saved with the model: {@link #save(Path)} writes a small
 * versioned, checksummed binary file atomically; {@link #write(DataOutput)} embeds it in a bundle.
 *
 * <pre>{@code
 * Pipeline prep = Pipeline.of(Impute.median(), new OneHotEncode(), new Standardize()).fit(train);
 * Dataset trainX = prep.applyTraining(train), testX = prep.apply(test);
 * prep.save(Path.of("prep.pipeline"));
 * float[] x = Pipeline.load(Path.of("prep.pipeline")).transform(rawRow);
 * }</pre>
 */
public final class Pipeline {
    static final byte[] MAGIC = {'E', 'N', 'G', 'P', 'I', 'P', 'E', '\n'};
    /** Version of the binary form written by this class. */
    public static final int FORMAT_VERSION = 1;

    private final List<Preprocessor> steps;
    private final boolean fitted;
    private final int[] inputShape;   // null unless fitted
    private final Map<Integer, List<String>> categories;   // training vocabularies of categorical input columns

    private Pipeline(List<Preprocessor> steps, boolean fitted, int[] inputShape, Map<Integer, List<String>> categories) {
        this.steps = List.copyOf(steps);
        this.fitted = fitted;
        this.inputShape = inputShape == null ? null : inputShape.clone();
        this.categories = Map.copyOf(categories);
    }

    /** An unfitted pipeline of these steps, in order (no steps: the identity). */
    public static Pipeline of(Preprocessor... steps) { return new Pipeline(Arrays.asList(steps), false, null, Map.of()); }

    /** Fits every step in order on {@code train}; returns the fitted pipeline (this one is unchanged). */
    public Pipeline fit(Dataset train) {
        List<Preprocessor> out = new ArrayList<>(steps.size());
        Dataset cur = train;
        int[] shape = train.featureShape();
        for (int i = 0; i < steps.size(); i++) {
            Preprocessor f = steps.get(i).fit(cur);
            if (i < steps.size() - 1) cur = f.applyTraining(cur);   // the last step's output is not needed
            out.add(f);
        }
        return new Pipeline(out, true, shape, train.categoricalColumns());
    }

    /** Whether {@link #fit(Dataset)} produced this pipeline (or it was loaded). */
    public boolean isFitted() { return fitted; }

    /** The fitted steps (or the unfitted ones of an unfitted pipeline). */
    public List<Preprocessor> steps() { return steps; }

    /** The raw row shape the fitted pipeline accepts. */
    public int[] inputShape() { requireFitted(); return inputShape.clone(); }

    /** The row shape the fitted pipeline produces (what the model sees). */
    public int[] outputShape() {
        requireFitted();
        return steps.isEmpty() ? inputShape.clone() : steps.get(steps.size() - 1).outputShape();
    }

    /**
     * The training vocabulary of categorical input column {@code column} (empty if not categorical): in a
     * raw row given to {@link #transform(float[])} that column holds {@code categories(column).indexOf(name)}.
     * Datasets given to {@link #apply(Dataset)} are matched to it by name automatically.
     */
    public List<String> categories(int column) {
        requireFitted();
        return categories.getOrDefault(column, List.of());
    }

    /**
     * {@code data} with its categorical columns recoded, by name, into this pipeline's training
     * vocabularies (see {@link #categories(int)}), so its raw rows can go to {@link #transform(float[])};
     * a category unknown to training gets a code past the end of the vocabulary (encoded as all zeros).
     */
    public Dataset alignCategories(Dataset data) {
        requireFitted();
        return CategoryVocab.align(data, categories);
    }

    /** Applies every step to {@code data}; no row is dropped. */
    public Dataset apply(Dataset data) {
        requireFitted();
        checkShape(data.featureShape());
        Dataset cur = CategoryVocab.align(data, categories);
        for (Preprocessor p : steps) cur = p.apply(cur);
        return cur;
    }

    /** Applies every step to training data, dropping duplicates where the pipeline de-duplicates. */
    public Dataset applyTraining(Dataset data) {
        requireFitted();
        checkShape(data.featureShape());
        Dataset cur = CategoryVocab.align(data, categories);
        for (Preprocessor p : steps) cur = p.applyTraining(cur);
        return cur;
    }

    /**
     * Transforms one raw row (of {@code product(inputShape())} floats) into the model's input row.
     * Fails, rather than returning NaN, when a missing value in the row is not imputed.
     */
    public float[] transform(float[] rawRow) {
        requireFitted();
        int n = Dataset.product(inputShape);
        if (rawRow.length != n) {
            throw new EngineException("pipeline input has " + rawRow.length + " values, expected " + n
                    + " (shape " + Arrays.toString(inputShape) + ")");
        }
        float[] cur = rawRow;
        for (Preprocessor p : steps) cur = p.transform(cur);
        for (int j = 0; j < cur.length; j++) {
            if (Float.isNaN(cur[j])) {
                throw new EngineException("output value " + j + " of the pipeline is NaN: the raw row has a missing "
                        + "value that no step imputes (add Impute to the pipeline)");
            }
        }
        return cur == rawRow ? rawRow.clone() : cur;
    }

    /** Writes the fitted pipeline (magic, version, input shape, steps) to {@code out}. */
    public void write(DataOutput out) throws IOException {
        requireFitted();
        out.write(MAGIC);
        out.writeInt(FORMAT_VERSION);
        StateIo.writeInts(out, inputShape);
        StateIo.writeCategories(out, categories);
        out.writeInt(steps.size());
        for (Preprocessor p : steps) {
            out.writeUTF(p.kind());
            p.writeState(out);
        }
    }

    /**
     * Reads a pipeline written by {@link #write(DataOutput)}.
     *
     * @throws DataFormatException on a wrong magic string, an unknown version or step, or corrupt state
     */
    public static Pipeline read(DataInput in, String source) throws IOException {
        byte[] magic = new byte[MAGIC.length];
        in.readFully(magic);
        if (!Arrays.equals(magic, MAGIC)) throw DataFormatException.atOffset(source, 0, "not a saved pipeline (bad magic string)");
        int version = in.readInt();
        if (version != FORMAT_VERSION) {
            throw DataFormatException.atOffset(source, MAGIC.length, "pipeline format version " + version
                    + " is not supported (this engine reads version " + FORMAT_VERSION + ")");
        }
        int[] shape = StateIo.readInts(in);
        StateIo.check(shape.length > 0 && Arrays.stream(shape).allMatch(d -> d > 0), "bad input shape");
        Map<Integer, List<String>> cats = StateIo.readCategories(in, Dataset.product(shape));
        int n = StateIo.length(in);
        List<Preprocessor> steps = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String kind = in.readUTF();
            try {
                steps.add(readStep(kind, in));
            } catch (IOException | IllegalArgumentException | EngineException e) {
                if (e instanceof EOFException) throw (EOFException) e;
                throw new DataFormatException(source + ": step " + i + " (" + kind + "): corrupt state: " + e.getMessage(), e);
            }
        }
        Pipeline p = new Pipeline(steps, true, shape, cats);
        int[] cur = shape;
        for (int i = 0; i < n; i++) {
            if (!Arrays.equals(cur, steps.get(i).inputShape())) {
                throw new DataFormatException(source + ": step " + i + " (" + steps.get(i).kind() + ") expects rows of shape "
                        + Arrays.toString(steps.get(i).inputShape()) + " but receives " + Arrays.toString(cur));
            }
            cur = steps.get(i).outputShape();
        }
        return p;
    }

    private static Preprocessor readStep(String kind, DataInput in) throws IOException {
        switch (kind) {
            case "standardize": return Standardize.read(in);
            case "minmax": return MinMaxScale.read(in);
            case "scale": return Scale.read(in);
            case "image-normalize": return ImageNormalize.read(in);
            case "flatten": return Flatten.read(in);
            case "one-hot": return OneHotEncode.read(in);
            case "ordinal": return OrdinalEncode.read(in);
            case "impute": return Impute.read(in);
            case "deduplicate": return DeDuplicate.read(in);
            default: throw new IOException("unknown step kind '" + kind + "'");
        }
    }

    /** The saved form: {@link #write(DataOutput)} followed by a CRC-32 of those bytes (8 bytes). */
    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            write(out);
            out.flush();
            CRC32 crc = new CRC32();
            crc.update(bytes.toByteArray());
            out.writeLong(crc.getValue());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses {@link #toBytes()}; {@code source} names the data in errors. */
    public static Pipeline fromBytes(byte[] b, String source) {
        if (b.length < MAGIC.length + 8) throw DataFormatException.atOffset(source, b.length, "truncated: too short for a saved pipeline");
        CRC32 crc = new CRC32();
        crc.update(b, 0, b.length - 8);
        long stored = ByteBuffer.wrap(b, b.length - 8, 8).getLong();
        if (!Arrays.equals(Arrays.copyOf(b, MAGIC.length), MAGIC)) {
            throw DataFormatException.atOffset(source, 0, "not a saved pipeline (bad magic string)");
        }
        if (stored != crc.getValue()) {
            throw DataFormatException.atOffset(source, b.length - 8, "checksum mismatch: the file is corrupt or truncated");
        }
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(b, 0, b.length - 8));
            Pipeline p = read(in, source);
            if (in.available() != 0) throw DataFormatException.atOffset(source, b.length - 8 - in.available(), "unexpected bytes after the last step");
            return p;
        } catch (EOFException e) {
            throw new DataFormatException(source + ": truncated pipeline state", e);
        } catch (IOException | IllegalArgumentException | EngineException e) {
            throw new DataFormatException(source + ": corrupt pipeline: " + e.getMessage(), e);
        }
    }

    /** Saves atomically: writes a temporary file beside {@code path}, forces it to disk, renames it. */
    public void save(Path path) { dev.engine.io.AtomicFiles.write(path, toBytes()); }

    /** Loads a pipeline saved by {@link #save(Path)}; verifies magic, version and checksum. */
    public static Pipeline load(Path path) {
        try {
            return fromBytes(Files.readAllBytes(path), path.toString());
        } catch (IOException e) {
            throw new dev.engine.api.EngineException("cannot read pipeline " + path + ": " + e.getMessage(), e);
        }
    }

    private void requireFitted() {
        if (!fitted) throw new EngineException("pipeline is not fitted; call fit(trainingData) first");
    }

    private void checkShape(int[] shape) {
        if (!Arrays.equals(shape, inputShape)) {
            throw new EngineException("dataset rows have shape " + Arrays.toString(shape) + ", the pipeline was fitted on "
                    + Arrays.toString(inputShape));
        }
    }

    @Override
    public String toString() { return "Pipeline" + steps; }
}
