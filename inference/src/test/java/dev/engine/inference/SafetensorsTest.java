package dev.engine.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.DType;
import dev.engine.api.ModelFormatException;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Safetensors round trips, PyTorch's files, and malformed headers. */
class SafetensorsTest {
    @TempDir Path dir;

    @Test void roundTripF32F64I64() {
        Map<String, Safetensors.Entry> m = new LinkedHashMap<>();
        m.put("net.0.weight", Safetensors.Entry.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3));
        m.put("net.0.bias", Safetensors.Entry.of(new double[]{0.5, -0.25}, 2));
        m.put("bn.num_batches_tracked", Safetensors.Entry.of(new long[]{7}));
        Path p = dir.resolve("w.safetensors");
        Safetensors.write(p, m);
        Map<String, Safetensors.Entry> r = Safetensors.read(p);
        assertEquals(List.copyOf(m.keySet()), List.copyOf(r.keySet()));
        assertArrayEquals(new long[]{2, 3}, r.get("net.0.weight").shape());
        assertArrayEquals(m.get("net.0.weight").f32(), r.get("net.0.weight").f32());
        assertEquals(DType.F64, r.get("net.0.bias").dtype());
        assertArrayEquals(new double[]{0.5, -0.25}, r.get("net.0.bias").f64());
        assertArrayEquals(new long[]{7}, r.get("bn.num_batches_tracked").i64());
        assertArrayEquals(new long[0], r.get("bn.num_batches_tracked").shape());
    }

    @Test void tensorsInAndOut() {
        try (MemoryScope s = MemoryScope.open()) {
            Map<String, Tensor> sd = new LinkedHashMap<>();
            sd.put("w", Tensor.of(new float[]{1, 2, 3, 4}, 2, 2));
            Path p = dir.resolve("t.safetensors");
            Safetensors.writeTensors(p, sd);
            Tensor back = Safetensors.readTensors(p).get("w");
            assertArrayEquals(new long[]{2, 2}, back.shape());
            assertArrayEquals(new float[]{1, 2, 3, 4}, back.toFloatArray());
        }
    }

    @Test void readsPyTorchStateDicts() {
        Map<String, Safetensors.Entry> sd = Safetensors.read(Models.requireData().resolve("mlp.safetensors"));
        assertArrayEquals(new long[]{512, 784}, sd.get("net.0.weight").shape());
        assertArrayEquals(new long[]{10}, sd.get("net.4.bias").shape());
        byte[] again = Safetensors.toBytes(sd);
        assertArrayEquals(sd.get("net.2.weight").f32(), Safetensors.read(again).get("net.2.weight").f32());
    }

    static byte[] file(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    @Test void malformedFilesFailCleanly() {
        String[] bad = {
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,16]}}",          // beyond the data
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",           // shape vs span
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,8]}}",          // negative dim
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", // overflow
                "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,8]}}",            // dtype
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}",           // reversed
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}",                                  // missing offsets
                "{\"a\":[1,2]}", "{\"a\":", "[1]", "{\"a\":{} \"b\":1}", "{\"a\":\"\\q\"}", "{\"a\":1}x",
                "[".repeat(10_000), "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":1}"};
        for (String h : bad) {
            byte[] f = file(h, 8);
            var e = assertThrows(ModelFormatException.class, () -> Safetensors.read(f), h.length() > 80 ? h.substring(0, 80) : h);
            assertTrue(e.getMessage().startsWith("safetensors") || e.getMessage().startsWith("json"), e.getMessage());
        }
        assertThrows(ModelFormatException.class, () -> Safetensors.read(new byte[5]));
        byte[] huge = file("{}", 0);
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
        assertThrows(ModelFormatException.class, () -> Safetensors.read(huge));
        byte[] ok = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{\"format\":\"pt\"}}", 8);
        assertEquals(1, Safetensors.read(ok).size());
        for (int len = 0; len < ok.length; len++) {
            byte[] t = java.util.Arrays.copyOf(ok, len);
            assertThrows(ModelFormatException.class, () -> Safetensors.read(t), "truncated at " + len);
        }
    }
}
