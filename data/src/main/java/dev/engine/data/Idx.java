package dev.engine.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST: a 4-byte magic number ({@code 0x00000803} for 3-d
 * unsigned-byte images, {@code 0x00000801} for 1-d unsigned-byte labels), one big-endian int per
 * dimension, then the bytes. Files may be gzip-compressed (detected from their first bytes, not
 * their name). The magic number, the dimensions and the exact length are checked; a bad file fails
 * with a {@link DataFormatException} naming the file, the byte offset and the problem.
 *
 * <pre>{@code
 * Idx.Images images = Idx.readImages(Path.of("train-images-idx3-ubyte.gz"));   // 60000 x 28 x 28
 * int[] labels = Idx.readLabels(Path.of("train-labels-idx1-ubyte.gz"));
 * Split mnist = Idx.loadDirectory(Path.of("/usr/share/datasets/fashion-mnist"));
 * Dataset train = mnist.train();    // features [1, 28, 28], values 0..255 (scale with Scale(1/255f))
 * }</pre>
 */
public final class Idx {
    /** Magic number of unsigned-byte images with 3 dimensions (count, rows, columns). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of unsigned-byte labels with 1 dimension (count). */
    public static final int LABELS_MAGIC = 0x00000801;
    /** Class names of Fashion-MNIST, by label. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private Idx() {}

    /**
     * Images as read from an IDX3 file: {@code count} images of {@code rows x cols} unsigned bytes.
     *
     * @param pixels {@code count * rows * cols} bytes, row-major; read them with {@code & 0xFF}
     */
    public record Images(int count, int rows, int cols, byte[] pixels) {
        /** Pixel values 0..255 as floats, in the same order. */
        public float[] toFloats() {
            float[] f = new float[pixels.length];
            for (int i = 0; i < f.length; i++) f[i] = pixels[i] & 0xFF;
            return f;
        }

        /** The value 0..255 of pixel ({@code r}, {@code c}) of image {@code i}. */
        public int pixel(int i, int r, int c) { return pixels[(i * rows + r) * cols + c] & 0xFF; }
    }

    /** Reads an IDX3 unsigned-byte image file (plain or gzip). */
    public static Images readImages(Path path) {
        Parsed p = read(path, IMAGES_MAGIC, "unsigned-byte images (3 dimensions)");
        return new Images(p.dims[0], p.dims[1], p.dims[2], p.data);
    }

    /** Reads an IDX1 unsigned-byte label file (plain or gzip); labels are 0..255. */
    public static int[] readLabels(Path path) {
        Parsed p = read(path, LABELS_MAGIC, "unsigned-byte labels (1 dimension)");
        int[] labels = new int[p.data.length];
        for (int i = 0; i < labels.length; i++) labels[i] = p.data[i] & 0xFF;
        return labels;
    }

    /**
     * A classification dataset of images (feature shape {@code [1, rows, cols]}, raw values 0..255)
     * and their labels; fails if the two files hold different numbers of items.
     */
    public static Dataset dataset(Path images, Path labels) {
        Images im = readImages(images);
        int[] l = readLabels(labels);
        if (l.length != im.count()) {
            throw new DataFormatException(labels + ": " + l.length + " labels, but " + images + " holds " + im.count() + " images");
        }
        return Dataset.of(im.toFloats(), new int[] {1, im.rows(), im.cols()}, l, null, 0, List.of(), List.of(), java.util.Map.of());
    }

    /**
     * Loads an MNIST-style directory: {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte},
     * {@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, each optionally ending in {@code .gz}
     * (the dotted spelling {@code train-images.idx3-ubyte} is accepted too). The split's validation part
     * is empty; carve one out of the training part with {@link Splits}.
     */
    public static Split loadDirectory(Path dir) {
        Dataset train = dataset(find(dir, "train", "images", 3), find(dir, "train", "labels", 1));
        Dataset test = dataset(find(dir, "t10k", "images", 3), find(dir, "t10k", "labels", 1));
        return new Split(train, train.subset(new int[0]), test);
    }

    private static Path find(Path dir, String part, String kind, int dims) {
        List<String> tried = new ArrayList<>();
        for (String sep : new String[] {"-", "."}) {
            for (String gz : new String[] {"", ".gz"}) {
                String name = part + "-" + kind + sep + "idx" + dims + "-ubyte" + gz;
                tried.add(name);
                Path p = dir.resolve(name);
                if (Files.isRegularFile(p)) return p;
            }
        }
        throw new DataFormatException(dir + ": no " + part + " " + kind + " file; looked for " + tried);
    }

    private record Parsed(int[] dims, byte[] data) {}

    private static Parsed read(Path path, int expectedMagic, String what) {
        String src = path.toString();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read(), b1 = raw.read();
            raw.reset();
            boolean gz = b0 == 0x1f && b1 == 0x8b;
            if (gz) src = src + " (gzip, offsets after decompression)";
            InputStream in = gz ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
            return parse(new DataInputStream(in), src, expectedMagic, what);
        } catch (ZipException | java.io.EOFException e) {
            throw new DataFormatException(src + ": corrupt or truncated gzip stream: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new dev.engine.api.EngineException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private static Parsed parse(DataInputStream in, String src, int expectedMagic, String what) throws IOException {
        byte[] head = in.readNBytes(4);
        if (head.length < 4) throw DataFormatException.atOffset(src, head.length, "file ends inside the 4-byte magic number");
        int magic = ((head[0] & 0xFF) << 24) | ((head[1] & 0xFF) << 16) | ((head[2] & 0xFF) << 8) | (head[3] & 0xFF);
        if (magic != expectedMagic) {
            String why = (magic >>> 16) != 0 ? "not an IDX file"
                    : (magic >>> 8 & 0xFF) != 0x08 ? String.format("data type 0x%02x is not supported, only unsigned bytes (0x08)", magic >>> 8 & 0xFF)
                    : (magic & 0xFF) + " dimensions, expected " + (expectedMagic & 0xFF);
            throw DataFormatException.atOffset(src, 0, String.format("bad magic number 0x%08x, expected 0x%08x for %s: %s",
                    magic, expectedMagic, what, why));
        }
        int nd = expectedMagic & 0xFF;
        int[] dims = new int[nd];
        long total = 1;
        for (int d = 0; d < nd; d++) {
            byte[] b = in.readNBytes(4);
            if (b.length < 4) throw DataFormatException.atOffset(src, 4 + 4L * d + b.length, "file ends inside the header (dimension " + d + ")");
            dims[d] = ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
            if (dims[d] < 0 || (dims[d] == 0 && d > 0)) {
                throw DataFormatException.atOffset(src, 4 + 4L * d, "dimension " + d + " is " + dims[d]);
            }
            total *= dims[d];
        }
        long offset = 4 + 4L * nd;
        if (total > Integer.MAX_VALUE - 16) {
            throw DataFormatException.atOffset(src, 4, "dimensions " + java.util.Arrays.toString(dims) + " describe " + total + " bytes, too many for one array");
        }
        byte[] data = in.readNBytes((int) total);
        if (data.length < total) {
            throw DataFormatException.atOffset(src, offset + data.length, "truncated: the header " + java.util.Arrays.toString(dims)
                    + " promises " + total + " bytes of data after offset " + offset + " but only " + data.length + " follow");
        }
        if (in.read() != -1) {
            throw DataFormatException.atOffset(src, offset + total, "unexpected bytes after the last item (the header "
                    + java.util.Arrays.toString(dims) + " promises " + total + " bytes of data)");
        }
        return new Parsed(dims, data);
    }
}
