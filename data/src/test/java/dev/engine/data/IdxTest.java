package dev.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
    @TempDir Path dir;

    static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeInt(magic);
        for (int d : dims) out.writeInt(d);
        out.write(data);
        return b.toByteArray();
    }

    static byte[] images(int n, int rows, int cols) throws IOException {
        byte[] px = new byte[n * rows * cols];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 37);
        return idx(Idx.IMAGES_MAGIC, new int[] {n, rows, cols}, px);
    }

    static byte[] labels(int... l) throws IOException {
        byte[] b = new byte[l.length];
        for (int i = 0; i < l.length; i++) b[i] = (byte) l[i];
        return idx(Idx.LABELS_MAGIC, new int[] {l.length}, b);
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(b)) { out.write(raw); }
        return b.toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void readsPlainAndGzipImagesAndLabels() throws Exception {
        Path plain = write("img", images(3, 2, 4));
        Path gz = write("img.gz", gzip(images(3, 2, 4)));
        Idx.Images a = Idx.readImages(plain), b = Idx.readImages(gz);
        assertEquals(3, a.count());
        assertEquals(2, a.rows());
        assertEquals(4, a.cols());
        assertArrayEquals(a.pixels(), b.pixels());
        assertEquals((7 * 37) & 0xFF, a.pixel(0, 1, 3));   // pixel index 7, unsigned
        assertEquals(a.pixel(2, 1, 1), (int) a.toFloats()[2 * 8 + 4 + 1]);
        assertArrayEquals(new int[] {9, 0, 255}, Idx.readLabels(write("lab.gz", gzip(labels(9, 0, 255)))));
    }

    @Test
    void loadsMnistStyleDirectory() throws Exception {
        write("train-images-idx3-ubyte.gz", gzip(images(5, 3, 3)));
        write("train-labels-idx1-ubyte.gz", gzip(labels(1, 2, 3, 4, 5)));
        write("t10k-images-idx3-ubyte", images(2, 3, 3));
        write("t10k-labels-idx1-ubyte", labels(7, 8));
        Split s = Idx.loadDirectory(dir);
        assertEquals(5, s.train().size());
        assertEquals(0, s.validation().size());
        assertArrayEquals(new int[] {1, 3, 3}, s.test().featureShape());
        assertArrayEquals(new int[] {7, 8}, s.test().labels());
        assertEquals((9 * 37) & 0xFF, (int) s.train().feature(1, 0));
    }

    @Test
    void badMagicNamesFileAndOffset() throws Exception {
        Path p = write("labels-as-images", labels(1, 2));
        DataFormatException e = assertThrows(DataFormatException.class, () -> Idx.readImages(p));
        assertTrue(e.getMessage().startsWith(p + ": byte offset 0: bad magic number 0x00000801"), e.getMessage());
        Path q = write("text", "hello world".getBytes());
        assertTrue(assertThrows(DataFormatException.class, () -> Idx.readLabels(q)).getMessage().contains("not an IDX file"));
        Path f = write("floats", idx(0x00000D03, new int[] {1, 1, 1}, new byte[4]));
        assertTrue(assertThrows(DataFormatException.class, () -> Idx.readImages(f)).getMessage().contains("0x0d is not supported"));
    }

    @Test
    void truncatedAndOverlongFiles() throws Exception {
        byte[] full = images(4, 2, 2);
        Path t = write("trunc", Arrays.copyOf(full, full.length - 3));
        DataFormatException e = assertThrows(DataFormatException.class, () -> Idx.readImages(t));
        assertTrue(e.getMessage().startsWith(t + ": byte offset 29: truncated"), e.getMessage());
        Path tg = write("trunc.gz", gzip(Arrays.copyOf(full, full.length - 3)));
        assertTrue(assertThrows(DataFormatException.class, () -> Idx.readImages(tg)).getMessage().contains("truncated"));
        Path h = write("header", Arrays.copyOf(full, 9));
        assertTrue(assertThrows(DataFormatException.class, () -> Idx.readImages(h)).getMessage().contains("inside the header"));
        Path x = write("extra", Arrays.copyOf(full, full.length + 2));
        DataFormatException ex = assertThrows(DataFormatException.class, () -> Idx.readImages(x));
        assertTrue(ex.getMessage().contains("byte offset 32: unexpected bytes"), ex.getMessage());
        byte[] gz = gzip(full);
        Path cg = write("cut.gz", Arrays.copyOf(gz, gz.length / 2));
        assertTrue(assertThrows(DataFormatException.class, () -> Idx.readImages(cg)).getMessage().contains(cg.toString()));
        Path empty = write("empty", new byte[0]);
        assertThrows(DataFormatException.class, () -> Idx.readLabels(empty));
    }

    @Test
    void countMismatchBetweenImagesAndLabels() throws Exception {
        Path im = write("i", images(3, 2, 2));
        Path lb = write("l", labels(1, 2));
        DataFormatException e = assertThrows(DataFormatException.class, () -> Idx.dataset(im, lb));
        assertTrue(e.getMessage().contains("2 labels") && e.getMessage().contains("3 images"), e.getMessage());
    }

    /** Runs only where {@code apt-get install dataset-fashion-mnist} has put the real files. */
    @Test
    void readsRealFashionMnistWhenInstalled() {
        Path real = Path.of("/usr/share/datasets/fashion-mnist");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(real), "dataset-fashion-mnist not installed");
        Split s = Idx.loadDirectory(real);
        assertEquals(60000, s.train().size());
        assertEquals(10000, s.test().size());
        assertArrayEquals(new int[] {1, 28, 28}, s.train().featureShape());
        assertEquals(10, s.train().numClasses());
        int[] perClass = new int[10];
        for (int l : s.train().labels()) perClass[l]++;
        for (int c : perClass) assertEquals(6000, c);
    }

    @Test
    void missingFilesInDirectoryAreNamed() {
        DataFormatException e = assertThrows(DataFormatException.class, () -> Idx.loadDirectory(dir));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
    }
}
