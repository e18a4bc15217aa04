package dev.engine.inference;

import dev.engine.graph.Node;
import dev.engine.graph.Tracer;
import dev.engine.graph.Traceable;
import dev.engine.graph.Value;
import dev.engine.graph.Graph;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.engine.api.Backends;
import dev.engine.api.ModelFormatException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Graphs of every op kind survive serialisation and run the same; inconsistent graphs are rejected. */
class GraphCodecTest {
    static void roundTrip(Graph g, int batch) {
        roundTrip(g, batch, Models.randn(new Random(1), batch * (int) (dev.engine.api.Shapes.numel(g.input().shape()) / g.input().shape()[0]), 1));
    }

    static void roundTrip(Graph g, int batch, float[] x) {
        Graph back = GraphCodec.read(GraphCodec.write(g));
        assertEquals(g.toString(), back.toString());
        try (FrozenModel a = new FrozenModel(g, Backends.cpu(), List.of()); FrozenModel b = new FrozenModel(back, Backends.cpu(), List.of())) {
            assertArrayEquals(a.run(x, batch), b.run(x, batch), 0f);
        }
    }

    static Graph trace(Traceable m, long... shape) {
        Tracer t = new Tracer();
        return t.build(m.trace(t, t.input(shape)));
    }

    @Test void everyKindRoundTrips() {
        for (FreezeOptions o : new FreezeOptions[]{FreezeOptions.none(), FreezeOptions.defaults()}) {
            roundTrip(Freezer.optimize(trace(Models.tinyCnn(1), 1, 2, 8, 8), o, new java.util.ArrayList<>()), 2);
            roundTrip(Freezer.optimize(trace(Models.residual(2, 6, 3), 1, 6), o, new java.util.ArrayList<>()), 3);
            roundTrip(Freezer.optimize(trace(Models.tinyMlp(3, 4, 5, 2), 1, 4), o, new java.util.ArrayList<>()), 2);
        }
        Random r = new Random(4);
        float[] table = Models.randn(r, 30, 1);
        roundTrip(trace((t, x) -> t.logSoftmax(t.flatten(t.matmul(t.embedding(x, table, 10, 3), t.constant(Models.randn(r, 6, 1), 3, 2)))), 1, 4), 1,
                new float[]{3, 0, 9, 4});
    }

    @Test void inconsistentGraphsAreRejected() {
        Tracer t = new Tracer();
        Value x = t.input(1, 4);
        Graph g = t.build(t.linear(x, new float[8], 2, 4, null));
        // forge a wrong stored shape
        Node lin = g.nodes().get(1);
        Node forged = lin.toBuilder().output(new Value(lin.output().id(), new long[]{1, 3}, null)).build();
        byte[] bytes = GraphCodec.write(new Graph(List.of(g.nodes().get(0), forged), x, forged.output()));
        assertThrows(ModelFormatException.class, () -> GraphCodec.read(bytes));
        byte[] ok = GraphCodec.write(g);
        for (int len = 0; len < ok.length; len++) {
            byte[] tr = java.util.Arrays.copyOf(ok, len);
            assertThrows(ModelFormatException.class, () -> GraphCodec.read(tr), "truncated at " + len);
        }
    }
}
