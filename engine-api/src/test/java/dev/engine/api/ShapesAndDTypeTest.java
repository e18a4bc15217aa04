package dev.engine.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShapesAndDTypeTest {
    @Test
    void broadcast() {
        assertArrayEquals(new long[]{4, 3}, Shapes.broadcast("add", new long[]{4, 1}, new long[]{3}));
        assertArrayEquals(new long[]{2, 5, 3}, Shapes.broadcast("add", new long[]{2, 1, 3}, new long[]{5, 1}));
        assertArrayEquals(new long[]{3, 0}, Shapes.broadcast("add", new long[]{3, 1}, new long[]{0}));
        assertArrayEquals(new long[]{}, Shapes.broadcast("add", new long[]{}, new long[]{}));
        assertArrayEquals(new long[]{7}, Shapes.broadcast("add", new long[]{}, new long[]{7}));
        var e = assertThrows(ShapeException.class, () -> Shapes.broadcast("mul", new long[]{4, 3}, new long[]{2, 3}));
        assertTrue(e.getMessage().contains("mul") && e.getMessage().contains("[4, 3]") && e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    @Test
    void numelAndAxis() {
        assertEquals(24, Shapes.numel(new long[]{2, 3, 4}));
        assertEquals(1, Shapes.numel(new long[]{}));
        assertEquals(0, Shapes.numel(new long[]{0, Long.MAX_VALUE}));
        assertThrows(ShapeException.class, () -> Shapes.numel(new long[]{1L << 32, 1L << 32}));
        assertThrows(ShapeException.class, () -> Shapes.numel(new long[]{-1}));
        assertThrows(ShapeException.class, () -> Shapes.numelInt(new long[]{1L << 31}));
        assertEquals(2, Shapes.axis("op", -1, 3));
        assertThrows(ShapeException.class, () -> Shapes.axis("op", 3, 3));
        assertThrows(ShapeException.class, () -> Shapes.axis("op", 0, 0));
    }

    @Test
    void dtypeBytes() {
        assertEquals(4096, DType.F32.bytes(1024));
        assertEquals(16, DType.I64.bytes(2));
        assertEquals(0, DType.F64.bytes(0));
        assertThrows(ShapeException.class, () -> DType.F32.bytes(-1));
        assertThrows(ShapeException.class, () -> DType.F64.bytes(Long.MAX_VALUE / 8 + 1));
        assertEquals(Long.MAX_VALUE, DType.I8.bytes(Long.MAX_VALUE));
        var e = assertThrows(DTypeException.class, () -> DType.require("matmul", "x", DType.I32, DType.F32, DType.F64));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("I32"), e.getMessage());
    }

    @Test
    void matrixRefAndOptimizerRecordsCheckTheirArguments() {
        assertThrows(EngineException.class, () -> new MatrixRef(null, 0, 1, 0));
        assertThrows(EngineException.class, () -> new OptimizerHyperparams.Adam(1e-3, 0.9, 0.999, 1e-8, 0, false, 0));
    }
}
