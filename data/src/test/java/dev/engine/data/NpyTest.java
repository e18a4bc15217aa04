package dev.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
    @TempDir Path dir;

    /** A .npy file with an arbitrary header dict and version, as NumPy would write it. */
    static byte[] npy(int major, String dict, byte[] data) {
        StringBuilder h = new StringBuilder(dict);
        int pre = major == 1 ? 10 : 12;
        while ((pre + h.length() + 1) % 64 != 0) h.append(' ');
        h.append('\n');
        byte[] hb = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(pre + hb.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) b.putShort((short) hb.length); else b.putInt(hb.length);
        return b.put(hb).put(data).array();
    }

    static String dict(String descr, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    }

    @Test
    void writeReadRoundTripFloat32AndInt32() throws Exception {
        Path x = dir.resolve("x.npy"), y = dir.resolve("y.npy");
        float[] v = {1.5f, -2, 3, 4, 5, 6};
        Npy.write(x, v, 3, 2);
        Npy.write(y, new int[] {0, 2, 1}, 3);
        NpyArray a = Npy.read(x);
        assertArrayEquals(new int[] {3, 2}, a.shape());
        assertEquals("float32", a.dtype());
        assertArrayEquals(v, a.toFloats());
        Dataset d = Npy.dataset(x, y);
        assertArrayEquals(new int[] {2}, d.featureShape());
        assertArrayEquals(new int[] {0, 2, 1}, d.labels());
        assertEquals(0, (Files.size(x) - 24) % 64);   // header padded to a multiple of 64 bytes, then 6 float32
    }

    @Test
    void bigEndianFloat64Int64Uint8AndVersion2() {
        ByteBuffer f8 = ByteBuffer.allocate(16).order(ByteOrder.BIG_ENDIAN).putDouble(0.25).putDouble(-8);
        NpyArray a = Npy.parse(npy(1, dict(">f8", "(2,)"), f8.array()), "f8.npy");
        assertArrayEquals(new double[] {0.25, -8}, a.toDoubles());
        ByteBuffer i8 = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(7).putLong(-3);
        NpyArray b = Npy.parse(npy(2, dict("<i8", "(1, 2)"), i8.array()), "i8.npy");
        assertArrayEquals(new int[] {7, -3}, b.toInts());
        assertArrayEquals(new int[] {1, 2}, b.shape());
        NpyArray c = Npy.parse(npy(1, dict("|u1", "(3,)"), new byte[] {0, (byte) 200, 5}), "u1.npy");
        assertArrayEquals(new float[] {0, 200, 5}, c.toFloats());
        ByteBuffer i4 = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putInt(1).putInt(-1);
        assertArrayEquals(new int[] {1, -1}, Npy.parse(npy(1, dict(">i4", "(2,)"), i4.array()), "i4.npy").toInts());
        NpyArray scalar = Npy.parse(npy(1, dict("<f4", "()"), ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(9).array()), "s.npy");
        assertEquals(0, scalar.shape().length);
        assertArrayEquals(new float[] {9}, scalar.toFloats());
    }

    @Test
    void rejectsFortranOrder() {
        String d = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }";
        DataFormatException e = assertThrows(DataFormatException.class, () -> Npy.parse(npy(1, d, new byte[16]), "f.npy"));
        assertTrue(e.getMessage().startsWith("f.npy: byte offset 10:") && e.getMessage().contains("Fortran-order"), e.getMessage());
    }

    @Test
    void rejectsUnsupportedDtypeBadMagicAndBadHeader() {
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> Npy.parse(npy(1, dict("<f2", "(2,)"), new byte[4]), "h.npy"));
        assertTrue(e.getMessage().contains("dtype '<f2' is not supported"), e.getMessage());
        DataFormatException m = assertThrows(DataFormatException.class, () -> Npy.parse("NUMPY not really".getBytes(), "m.npy"));
        assertTrue(m.getMessage().startsWith("m.npy: byte offset 0:"), m.getMessage());
        assertThrows(DataFormatException.class, () -> Npy.parse(npy(1, "{'descr': '<f4', 'shape': (1,), }", new byte[4]), "n.npy"));
        assertThrows(DataFormatException.class, () -> Npy.parse(npy(1, dict("<f4", "(a,)"), new byte[4]), "s.npy"));
        byte[] v9 = npy(1, dict("<f4", "(1,)"), new byte[4]);
        v9[6] = 9;
        assertTrue(assertThrows(DataFormatException.class, () -> Npy.parse(v9, "v.npy")).getMessage().contains("version 9.0"));
    }

    @Test
    void truncatedAndOverlongData() throws Exception {
        byte[] full = npy(1, dict("<f4", "(4,)"), new byte[16]);
        Path t = dir.resolve("t.npy");
        Files.write(t, Arrays.copyOf(full, full.length - 5));
        DataFormatException e = assertThrows(DataFormatException.class, () -> Npy.read(t));
        assertTrue(e.getMessage().startsWith(t + ": byte offset " + (full.length - 5) + ": truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("needs 16 bytes") && e.getMessage().contains("only 11"), e.getMessage());
        DataFormatException x = assertThrows(DataFormatException.class, () -> Npy.parse(Arrays.copyOf(full, full.length + 4), "x.npy"));
        assertTrue(x.getMessage().contains("4 unexpected bytes"), x.getMessage());
        assertThrows(DataFormatException.class, () -> Npy.parse(Arrays.copyOf(full, 40), "h.npy"));   // inside the header
    }

    @Test
    void floatLabelsMakeRegressionAndMismatchedRowsFail() throws Exception {
        Path x = dir.resolve("x.npy"), y = dir.resolve("y.npy"), bad = dir.resolve("bad.npy");
        Npy.write(x, new float[] {1, 2, 3, 4}, 2, 1, 2);
        Npy.write(y, new float[] {0.5f, 1.5f}, 2);
        Dataset d = Npy.dataset(x, y);
        assertArrayEquals(new int[] {1, 2}, d.featureShape());
        assertArrayEquals(new float[] {0.5f, 1.5f}, d.targets());
        Npy.write(bad, new int[] {1, 2, 3}, 3);
        assertThrows(DataFormatException.class, () -> Npy.dataset(x, bad));
        assertThrows(EngineException.class, () -> Npy.read(x).toInts());
    }
}
