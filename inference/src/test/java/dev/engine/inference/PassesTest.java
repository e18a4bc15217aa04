package dev.engine.inference;

import dev.engine.graph.Traceable;
import dev.engine.graph.Const;
import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Activation;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.ElementwiseOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Each pass on a graph built for it, checked structurally and numerically against the unoptimised graph. */
class PassesTest {
    static float[] input(int n, long seed) { return Models.randn(new Random(seed), n, 1.0); }

    /** Runs {@code g} as is (no passes) and after {@code pass}; outputs must agree. */
    static Graph checkPass(Graph g, GraphPass pass, int batch, double tol) {
        Graph out = pass.apply(g);
        int feat = (int) (dev.engine.api.Shapes.numel(g.input().shape()) / g.input().shape()[0]);
        float[] x = input(batch * feat, 11);
        try (FrozenModel a = new FrozenModel(g, dev.engine.api.Backends.cpu(), List.of());
             FrozenModel b = new FrozenModel(out, dev.engine.api.Backends.cpu(), List.of())) {
            assertArrayEquals(a.run(x, batch), b.run(x, batch), (float) tol, pass.name() + " changed the results");
        }
        return out;
    }

    static List<String> names(Graph g) { return g.nodes().stream().map(Node::name).collect(Collectors.toList()); }

    static List<OpKind> kinds(Graph g) { return g.nodes().stream().map(Node::kind).collect(Collectors.toList()); }

    @Test void deadCodeDropsDropoutIdentityNoOpReshapesAndDeadBranches() {
        Random r = new Random(1);
        Tracer t = new Tracer();
        Value x = t.input(2, 4);
        Value h = t.dropout(t.linear(x, Models.randn(r, 12, 1), 3, 4, null), 0.3);
        t.relu(h); // dead branch
        h = t.reshape(t.identity(h), 3);
        Value y = t.sigmoid(t.flatten(h));
        Graph g = checkPass(t.build(y), new DeadCodeElimination(), 3, 0);
        assertEquals(List.of(OpKind.INPUT, OpKind.LINEAR, OpKind.ELEMENTWISE), kinds(g));
    }

    @Test void constantFoldingEvaluatesConstantsAndDropsNeutralOps() {
        Tracer t = new Tracer();
        Value x = t.input(1, 3);
        Value a = t.constant(new float[]{1, 2, 3}, 1, 3), b = t.constant(new float[]{4, 5, 6}, 1, 3);
        var p = dev.engine.api.ElementwiseProgram.single(dev.engine.api.ElementwiseOp.MUL, 0);
        Value c = t.elementwise(p, a, b);            // folded to {4, 10, 18}
        Value y = t.add(t.mulScalar(x, 1), c);      // x*1 dropped
        Graph g = checkPass(t.build(y), new ConstantFolding(), 2, 0);
        assertEquals(List.of(OpKind.INPUT, OpKind.CONSTANT, OpKind.ADD), kinds(g));
        assertArrayEquals(new float[]{4, 10, 18}, g.nodes().get(1).constOrNull("value").data());
    }

    @Test void batchNormFoldsIntoLinearAndConvNumerically() {
        Random r = new Random(2);
        float[] w = Models.randn(r, 5 * 4, 1), bias = Models.randn(r, 5, 1);
        float[] gam = Models.positive(r, 5), bet = Models.randn(r, 5, 1), mean = Models.randn(r, 5, 1), var = Models.positive(r, 5);
        Tracer t = new Tracer();
        Value x = t.input(1, 4);
        Value y = t.named("bn").batchNorm(t.named("fc").linear(x, w, 5, 4, bias), gam, bet, mean, var, 1e-5);
        Graph g = checkPass(t.build(y), new BatchNormFolding(), 4, 1e-5);
        assertEquals(List.of("input1", "fc+bn"), names(g));
        // by hand: y = (x W^T + b - mean) / sqrt(var + eps) * gamma + beta
        float[] in = input(4, 11);
        float[] got;
        try (FrozenModel m = new FrozenModel(g, dev.engine.api.Backends.cpu(), List.of())) { got = m.run(java.util.Arrays.copyOf(in, 4), 1); }
        for (int o = 0; o < 5; o++) {
            double z = bias[o];
            for (int i = 0; i < 4; i++) z += in[i] * w[o * 4 + i];
            double want = (z - mean[o]) / Math.sqrt(var[o] + 1e-5) * gam[o] + bet[o];
            assertEquals(want, got[o], 1e-5);
        }
        Tracer c = new Tracer();
        Value xi = c.input(1, 2, 6, 6);
        float[] cw = Models.randn(r, 3 * 2 * 3 * 3, 0.5);
        Value cy = c.relu(c.batchNorm(c.conv2d(xi, cw, 3, 2, 3, null, 1, 1), Models.positive(r, 3), Models.randn(r, 3, 1),
                Models.randn(r, 3, 1), Models.positive(r, 3), 1e-5));
        Graph folded = checkPass(c.build(cy), new BatchNormFolding(), 2, 1e-5);
        assertFalse(kinds(folded).contains(OpKind.BATCHNORM));
        assertNotNull(folded.nodes().get(1).constOrNull("bias"));
    }

    @Test void scalarScaleAndShiftFoldIntoLinear() {
        Random r = new Random(3);
        Tracer t = new Tracer();
        Value x = t.input(1, 4);
        Value y = t.addScalar(t.mulScalar(t.linear(x, Models.randn(r, 8, 1), 2, 4, Models.randn(r, 2, 1)), 3), -1);
        Graph g = checkPass(t.build(y), new BatchNormFolding(), 3, 1e-5);
        assertEquals(List.of(OpKind.INPUT, OpKind.LINEAR), kinds(g));
    }

    @Test void weightPackingStoresTheTranspose() {
        Tracer t = new Tracer();
        Value x = t.input(1, 3);
        float[] w = {1, 2, 3, 4, 5, 6};
        Graph g = checkPass(t.build(t.linear(x, w, 2, 3, null)), new WeightPacking(), 2, 1e-6);
        Const wt = g.nodes().get(1).constOrNull("weightT");
        assertArrayEquals(new long[]{3, 2}, wt.shape());
        assertArrayEquals(new float[]{1, 4, 2, 5, 3, 6}, wt.data());
    }

    @Test void epilogueFusionAbsorbsBiasActivationAndResidual() {
        Random r = new Random(4);
        Tracer t = new Tracer();
        Value x = t.input(1, 4);
        Value h = t.relu(t.linear(x, Models.randn(r, 16, 0.5), 4, 4, Models.randn(r, 4, 0.5)));
        h = t.relu(t.add(t.linear(h, Models.randn(r, 16, 0.5), 4, 4, Models.randn(r, 4, 0.5)), x));
        Graph g = checkPass(t.build(h), new EpilogueFusion(), 3, 1e-5);
        assertEquals(List.of("input1", "linear1+bias+relu", "linear2+bias+add+relu"), names(g));
        assertEquals(Activation.RELU, g.nodes().get(2).activation());
        assertEquals(2, g.nodes().get(2).inputs().size());
        Tracer ct = new Tracer();
        Value ci = ct.input(1, 1, 5, 5);
        Value cy = ct.gelu(ct.named("conv").conv2d(ci, Models.randn(r, 2 * 9, 0.5), 2, 1, 3, Models.randn(r, 2, 0.1), 1, 0));
        Graph cg = checkPass(ct.build(cy), new EpilogueFusion(), 2, 1e-5);
        assertEquals(List.of("input1", "conv+bias+gelu"), names(cg));
    }

    @Test void mobileActivationsFuseIntoConvolutions() {
        Random r = new Random(5);
        for (Activation a : new Activation[]{Activation.RELU6, Activation.HARD_SWISH, Activation.SILU}) {
            Tracer t = new Tracer();
            Value x = t.input(1, 2, 6, 6);
            // weights large enough that outputs reach past 6 and below -3, where these activations bend
            Value c = t.named("conv").conv2d(x, Models.randn(r, 3 * 2 * 9, 3), 3, 2, 3, Models.randn(r, 3, 1), 1, 1);
            Value y = a == Activation.SILU
                    ? t.elementwise(ElementwiseProgram.single(ElementwiseOp.MUL, 0), c, t.sigmoid(c))  // as PyTorch exports SiLU
                    : t.activation(c, a, 0);
            Graph g = checkPass(t.build(y), new EpilogueFusion(), 2, 1e-5);
            assertEquals(List.of("input1", "conv+bias+" + a.name().toLowerCase().replace("_", "")), names(g), a.name());
            assertEquals(a, g.nodes().get(1).activation());
        }
        // hard swish as PyTorch exports it: y * HardSigmoid(y; 1/6, 1/2)
        Tracer ht = new Tracer();
        Value hx = ht.input(1, 2, 6, 6);
        Value hc = ht.named("conv").conv2d(hx, Models.randn(r, 3 * 2 * 9, 3), 3, 2, 3, Models.randn(r, 3, 1), 1, 1);
        ElementwiseProgram.Builder hs = ElementwiseProgram.builder(1);
        int lin = hs.opImm(ElementwiseOp.ADD_SCALAR, 0.5, hs.opImm(ElementwiseOp.MUL_SCALAR, (float) (1.0 / 6), 0));
        Value gate = ht.elementwise(hs.build(hs.opImm(ElementwiseOp.CLAMP_MAX, 1, hs.opImm(ElementwiseOp.CLAMP_MIN, 0, lin))), hc);
        Graph hg = checkPass(ht.build(ht.elementwise(ElementwiseProgram.single(ElementwiseOp.MUL, 0), hc, gate)), new EpilogueFusion(), 2, 1e-5);
        assertEquals(List.of("input1", "conv+bias+hardswish"), names(hg));
        // a sigmoid read twice is not a SiLU
        Tracer t = new Tracer();
        Value x = t.input(1, 1, 4, 4);
        Value c = t.named("conv").conv2d(x, Models.randn(r, 9, 1), 1, 1, 3, null, 1, 1);
        Value s = t.sigmoid(c);
        Value y = t.add(t.elementwise(ElementwiseProgram.single(ElementwiseOp.MUL, 0), c, s), s);
        Graph g = checkPass(t.build(y), new EpilogueFusion(), 2, 1e-5);
        assertEquals(Activation.NONE, g.nodes().get(1).activation());
    }

    @Test void elementwiseChainsBecomeOneProgram() {
        Tracer t = new Tracer();
        Value x = t.input(1, 6);
        Value s = t.softmax(x);
        Value y = t.sigmoid(t.addScalar(t.mulScalar(t.add(s, x), 2), 0.5));
        Graph g = checkPass(t.build(y), new ElementwiseFusion(), 3, 1e-6);
        assertEquals(List.of(OpKind.INPUT, OpKind.SOFTMAX, OpKind.ELEMENTWISE), kinds(g));
        Node f = g.nodes().get(2);
        assertEquals("add1+mul1+addscalar1+sigmoid1", f.name());
        assertEquals(4, f.program().instructions());
        assertEquals(2, f.inputs().size());
    }

    @Test void everyPassCanBeSwitchedOff() {
        Traceable m = Models.residual(5, 8, 3);
        for (FreezeOptions.Pass p : FreezeOptions.Pass.values()) {
            FreezeOptions o = FreezeOptions.defaults().without(p);
            List<String> log = new ArrayList<>();
            Tracer t = new Tracer();
            Graph g = t.build(m.trace(t, t.input(1, 8)));
            Freezer.optimize(g, o, log);
            assertFalse(log.stream().anyMatch(l -> l.startsWith(passName(p) + ":")), p + " still ran: " + log);
        }
    }

    private static String passName(FreezeOptions.Pass p) {
        return switch (p) {
            case DEAD_CODE -> "dce";
            case CONSTANT_FOLDING -> "constant-folding";
            case FOLD_BATCHNORM -> "fold-batchnorm";
            case PACK_WEIGHTS -> "pack-weights";
            case FUSE_EPILOGUE -> "fuse-epilogue";
            case FUSE_ELEMENTWISE -> "fuse-elementwise";
            case SHARE_MEMORY -> "share-memory";
        };
    }
}
