package dev.engine.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ElementwiseProgramTest {
    @Test
    void encodesInstructions() {
        var b = ElementwiseProgram.builder(2);
        int t = b.op(ElementwiseOp.MUL, 0, 1);
        int r = b.opImm(ElementwiseOp.LEAKY_RELU, 0.1, t);
        ElementwiseProgram p = b.build(r);
        assertEquals(2, p.inputs());
        assertEquals(4, p.registers());
        assertEquals(3, p.result());
        assertEquals(2, p.instructions());
        assertArrayEquals(new int[]{42, 2, 0, 1, 0, 12, 3, 2, 0, 0}, p.code());
        assertArrayEquals(new double[]{0, 0.1}, p.immediates());
        assertEquals(ElementwiseOp.LEAKY_RELU, p.op(1));
        assertNotEquals(p, ElementwiseProgram.builder(2).build(0));
        var again = ElementwiseProgram.builder(2);
        assertEquals(p, again.build(again.opImm(ElementwiseOp.LEAKY_RELU, 0.1, again.op(ElementwiseOp.MUL, 0, 1))));
        ElementwiseProgram s = ElementwiseProgram.single(ElementwiseOp.WHERE, 0);
        assertArrayEquals(new int[]{80, 3, 0, 1, 2}, s.code());
        assertTrue(p.toString().contains("MUL(r0, r1)"), p.toString());
    }

    @Test
    void builderErrors() {
        assertThrows(EngineException.class, () -> ElementwiseProgram.builder(-1));
        assertThrows(EngineException.class, () -> ElementwiseProgram.builder(ElementwiseProgram.MAX_REGISTERS / 2 + 1));
        var b = ElementwiseProgram.builder(1);
        var e = assertThrows(EngineException.class, () -> b.op(ElementwiseOp.ADD, 0));
        assertTrue(e.getMessage().contains("ADD"), e.getMessage());
        assertThrows(EngineException.class, () -> b.op(ElementwiseOp.RELU, 1), "r1 is not written yet");
        assertThrows(EngineException.class, () -> b.op(ElementwiseOp.RELU, -1));
        assertThrows(EngineException.class, () -> b.build(1));
        assertThrows(EngineException.class, () -> b.build(-1));
        var full = ElementwiseProgram.builder(1);
        for (int i = 1; i < ElementwiseProgram.MAX_REGISTERS; i++) full.op(ElementwiseOp.NEG, i - 1);
        assertThrows(EngineException.class, () -> full.op(ElementwiseOp.NEG, 0), "register file is full");
    }

    @Test
    void opcodesAreUniqueAndArityMatchesTheirGroup() {
        Set<Integer> codes = new HashSet<>();
        for (ElementwiseOp op : ElementwiseOp.values()) {
            assertTrue(codes.add(op.code()), "duplicate code " + op.code());
            int expectedArity = op.code() == 0 ? 0 : op.code() < 40 ? 1 : op.code() < 80 ? 2 : 3;
            assertEquals(expectedArity, op.arity(), op.toString());
        }
    }
}
