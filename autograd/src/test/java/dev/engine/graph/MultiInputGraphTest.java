package dev.engine.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Graphs with a second named input (a key-padding mask): order, names, batch, and the attention node reading it. */
class MultiInputGraphTest {
    @Test void namedInputsKeepTheirOrderAndNames() {
        Tracer t = new Tracer();
        Value x = t.input("x", 2, 5, 12), m = t.input("key_padding_mask", 2, 5);
        Value y = t.attention(x, m, 2, 0.5, false);
        Graph g = t.build(y);
        assertEquals(List.of(x, m), g.inputs());
        assertEquals(List.of("x", "key_padding_mask"), g.inputNames());
        assertEquals(x, g.input());
        assertArrayEquals(new long[]{2, 5, 4}, y.shape());
        assertArrayEquals(new long[]{7, 5, 4}, ShapeInference.infer(g.nodes().get(2), new long[][]{{7, 5, 12}, {7, 5}}, 7));
        assertTrue(g.toString().startsWith("graph(inputs=["), g.toString());
    }

    @Test void singleInputGraphsAreUnchanged() {
        Tracer t = new Tracer();
        Value x = t.input(1, 4);
        Graph g = t.build(t.relu(x));
        assertEquals(List.of(x), g.inputs());
        assertEquals(List.of("input1"), g.inputNames());
    }

    @Test void theMainInputComesFirstWhereverItsNodeIs() {
        Value a = new Value(0, new long[]{1, 3}, null), b = new Value(1, new long[]{1, 3}, null);
        Node na = Node.builder(OpKind.INPUT, a).name("mask").ints("shape", 1, 3).build();
        Node nb = Node.builder(OpKind.INPUT, b).name("x").ints("shape", 1, 3).build();
        Graph g = new Graph(List.of(na, nb), b, b);
        assertEquals(List.of(b, a), g.inputs());
        assertEquals(List.of("x", "mask"), g.inputNames());
        Node dup = Node.builder(OpKind.INPUT, a).name("x").ints("shape", 1, 3).build();
        assertThrows(EngineException.class, () -> new Graph(List.of(dup, nb), b, b));
        Value c = new Value(2, new long[]{1, 3}, null);
        assertThrows(EngineException.class, () -> new Graph(List.of(na, nb), c, b));
    }

    @Test void badSecondInputsAreRefused() {
        Tracer t = new Tracer();
        t.input("x", 2, 5, 12);
        assertThrows(ShapeException.class, () -> t.input("mask", 3, 5), "the batch must follow the first input");
        t.input("mask", 2, 5);
        assertThrows(EngineException.class, () -> t.input("mask", 2, 5), "names are unique");
        Tracer u = new Tracer();
        Value x = u.input("x", 2, 5, 12), m = u.input("mask", 2, 6);
        String msg = assertThrows(ShapeException.class, () -> u.attention(x, m, 2, 0.5, false)).getMessage();
        assertTrue(msg.contains("key-padding mask [2, 6]") && msg.contains("[2, 5]"), msg);
    }
}
