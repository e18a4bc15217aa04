package dev.engine.data;

import dev.engine.api.EngineException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files: format versions 1.0, 2.0 and 3.0, C order, little- or
 * big-endian {@code float32}, {@code float64}, {@code int32}, {@code int64} and {@code uint8}. Fortran-order
 * arrays, other dtypes, a bad magic string, a malformed header and a data section of the wrong length
 * all fail with a {@link DataFormatException} naming the file, the byte offset and the problem.
 *
 * <pre>{@code
 * NpyArray x = Npy.read(Path.of("x.npy"));            // e.g. shape [1000, 3, 32, 32], float32
 * float[] values = x.toFloats();
 * Dataset d = Npy.dataset(Path.of("x.npy"), Path.of("y.npy"));   // int y: classes, float y: regression
 * Npy.write(Path.of("out.npy"), values, 1000, 3, 32, 32);
 * }</pre>
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Map<String, String> NAMES = Map.of("f4", "float32", "f8", "float64", "i4", "int32", "i8", "int64", "u1", "uint8");
    private static final Pattern DESCR = Pattern.compile("['\"]descr['\"]\\s*:\\s*['\"]([^'\"]*)['\"]");
    private static final Pattern FORTRAN = Pattern.compile("['\"]fortran_order['\"]\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** Reads a whole {@code .npy} file. */
    public static NpyArray read(Path path) {
        byte[] b;
        try {
            b = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new dev.engine.api.EngineException("cannot read " + path + ": " + e.getMessage(), e);
        }
        return parse(b, path.toString());
    }

    /** Parses the bytes of a {@code .npy} file; {@code source} names it in errors. */
    public static NpyArray parse(byte[] b, String source) {
        if (b.length < 10 || !Arrays.equals(Arrays.copyOf(b, 6), MAGIC)) {
            throw DataFormatException.atOffset(source, 0, "not a .npy file (missing the \\x93NUMPY magic string)");
        }
        int major = b[6] & 0xFF, minor = b[7] & 0xFF;
        int headerLen, start;
        if (major == 1) {
            headerLen = (b[8] & 0xFF) | (b[9] & 0xFF) << 8;
            start = 10;
        } else if (major == 2 || major == 3) {
            if (b.length < 12) throw DataFormatException.atOffset(source, b.length, "file ends inside the header length");
            long len = ByteBuffer.wrap(b, 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFFFFFFL;
            if (len > Integer.MAX_VALUE - 12) throw DataFormatException.atOffset(source, 8, "header length " + len + " is absurd");
            headerLen = (int) len;
            start = 12;
        } else {
            throw DataFormatException.atOffset(source, 6, "format version " + major + "." + minor + " is not supported (1.0, 2.0, 3.0 are)");
        }
        if ((long) start + headerLen > b.length) {
            throw DataFormatException.atOffset(source, b.length, "truncated: the header is " + headerLen + " bytes long but the file ends first");
        }
        String header = new String(b, start, headerLen, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = find(DESCR, header, "descr", source, start);
        String fortran = find(FORTRAN, header, "fortran_order", source, start);
        String shapeText = find(SHAPE, header, "shape", source, start);
        if (fortran.equals("True")) {
            throw DataFormatException.atOffset(source, start, "Fortran-order (column-major) arrays are not supported; "
                    + "save a C-order copy, e.g. np.save(path, np.ascontiguousarray(a))");
        }
        if (descr.length() != 3 || "<>|=".indexOf(descr.charAt(0)) < 0 || !NAMES.containsKey(descr.substring(1))) {
            throw DataFormatException.atOffset(source, start, "dtype '" + descr + "' is not supported; supported: "
                    + "float32, float64, int32, int64, uint8 (little- or big-endian)");
        }
        String dtype = NAMES.get(descr.substring(1));
        ByteOrder order = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        int[] shape = parseShape(shapeText, source, start);
        long count = 1;
        for (int d : shape) count *= d;
        int item = Integer.parseInt(descr.substring(2));
        long expect = count * item;
        int dataStart = start + headerLen;
        long have = b.length - (long) dataStart;
        if (have < expect) {
            throw DataFormatException.atOffset(source, b.length, "truncated: shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + expect + " bytes of data after offset " + dataStart + " but only " + have + " follow");
        }
        if (have > expect) {
            throw DataFormatException.atOffset(source, dataStart + expect, (have - expect) + " unexpected bytes after the data of shape "
                    + Arrays.toString(shape) + " (" + dtype + ")");
        }
        ByteBuffer data = ByteBuffer.wrap(b, dataStart, (int) expect).slice().order(order);
        return new NpyArray(shape, dtype, data);
    }

    /** A classification (integer {@code labels}) or regression (float {@code labels}) dataset; row = first axis. */
    public static Dataset dataset(Path features, Path labels) {
        NpyArray x = read(features);
        NpyArray y = read(labels);
        int[] s = x.shape();
        if (s.length == 0) throw new DataFormatException(features + ": a 0-d array cannot hold rows");
        int n = s[0];
        int[] rowShape = s.length == 1 ? new int[] {1} : Arrays.copyOfRange(s, 1, s.length);
        if (y.shape().length == 0 || y.shape()[0] != n) {
            throw new DataFormatException(labels + ": shape " + Arrays.toString(y.shape()) + " does not match the " + n
                    + " rows of " + features + " " + Arrays.toString(s));
        }
        if (y.isInteger()) {
            if (y.shape().length != 1) throw new DataFormatException(labels + ": integer labels must be 1-d, got shape " + Arrays.toString(y.shape()));
            int[] l = y.toInts();
            for (int i = 0; i < l.length; i++) {
                if (l[i] < 0) throw new DataFormatException(labels + ": label " + l[i] + " at index " + i + " is negative");
            }
            return Dataset.of(x.toFloats(), rowShape, l, null, 0, List.of(), List.of(), Map.of());
        }
        int width = n == 0 ? 1 : (int) (y.size() / n);
        return Dataset.of(x.toFloats(), rowShape, null, y.toFloats(), width, List.of(), List.of(), Map.of());
    }

    /** Writes a little-endian float32 C-order array (format 1.0). */
    public static void write(Path path, float[] data, int... shape) {
        checkCount(data.length, shape);
        ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(data);
        writeRaw(path, "<f4", shape, buf.array());
    }

    /** Writes a little-endian int32 C-order array (format 1.0). */
    public static void write(Path path, int[] data, int... shape) {
        checkCount(data.length, shape);
        ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asIntBuffer().put(data);
        writeRaw(path, "<i4", shape, buf.array());
    }

    /** The bytes of a format 1.0 file with this descr, shape and raw data (header padded to 64 bytes). */
    static byte[] encode(String descr, int[] shape, byte[] data) {
        StringBuilder sh = new StringBuilder("(");
        for (int d : shape) sh.append(d).append(", ");
        if (shape.length > 1) sh.setLength(sh.length() - 2);
        else if (shape.length == 1) sh.setLength(sh.length() - 1);
        sh.append(")");
        StringBuilder h = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + sh + ", }");
        while ((10 + h.length() + 1) % 64 != 0) h.append(' ');
        h.append('\n');
        byte[] hb = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(10 + hb.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) hb.length).put(hb).put(data);
        return out.array();
    }

    private static void writeRaw(Path path, String descr, int[] shape, byte[] data) {
        try {
            Files.write(path, encode(descr, shape, data));
        } catch (IOException e) {
            throw new dev.engine.api.EngineException("cannot write " + path + ": " + e.getMessage(), e);
        }
    }

    private static void checkCount(int length, int[] shape) {
        long p = 1;
        for (int d : shape) p *= d;
        if (p != length) throw new EngineException("shape " + Arrays.toString(shape) + " holds " + p + " values, data has " + length);
    }

    private static String find(Pattern p, String header, String key, String source, int offset) {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw DataFormatException.atOffset(source, offset, "malformed header, no valid '" + key + "' entry: " + header.strip());
        }
        return m.group(1);
    }

    private static int[] parseShape(String text, String source, int offset) {
        String[] parts = text.split(",");
        int[] shape = new int[parts.length];
        int k = 0;
        for (String p : parts) {
            String t = p.strip();
            if (t.endsWith("L")) t = t.substring(0, t.length() - 1);
            if (t.isEmpty()) continue;
            try {
                shape[k] = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                throw DataFormatException.atOffset(source, offset, "malformed shape (" + text + ")");
            }
            if (shape[k] < 0) throw DataFormatException.atOffset(source, offset, "negative dimension in shape (" + text + ")");
            k++;
        }
        return Arrays.copyOf(shape, k);
    }
}
