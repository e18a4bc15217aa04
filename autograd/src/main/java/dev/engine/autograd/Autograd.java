package dev.engine.autograd;

import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The backward pass: topological order from the root, then gradient rules in reverse. */
final class Autograd {
    private Autograd() {}

    static void backward(Tensor root, Tensor gradRoot, boolean retainGraph) {
        if (!root.requiresGrad()) throw new EngineException("backward: the tensor does not require grad and has no grad_fn");
        if (gradRoot == null) {
            if (root.numel() != 1)
                throw new ShapeException("backward: called on a non-scalar tensor of shape " + java.util.Arrays.toString(root.shape())
                        + " without an explicit gradient");
            gradRoot = Tensor.onesLike(root);
        } else if (!java.util.Arrays.equals(gradRoot.shape(), root.shape())) {
            throw new ShapeException("backward: gradient shape " + java.util.Arrays.toString(gradRoot.shape()) + " does not match tensor shape "
                    + java.util.Arrays.toString(root.shape()));
        }
        Profiler prof = Profiler.current();
        long walk = prof == null ? 0 : System.nanoTime();
        List<Tensor> order = topologicalOrder(root);
        if (prof != null) prof.backwardOp("(graph walk)", walk);
        Map<Tensor, Tensor> grads = new IdentityHashMap<>();
        grads.put(root, gradRoot);
        try (GradMode ng = GradMode.noGrad()) {
            for (int i = order.size() - 1; i >= 0; i--) {
                Tensor t = order.get(i);
                Tensor g = grads.remove(t);
                if (g == null) continue;
                Node fn = t.gradFn();
                long t0 = prof == null ? 0 : System.nanoTime();
                if (fn == null) {
                    t.accumulateGrad(g);
                    if (prof != null) prof.backwardOp("(accumulate leaf grad)", t0);
                    continue;
                }
                if (t.retainsGrad()) t.accumulateGrad(g);
                if (fn.isReleased()) fn.saved(0);  // throws the "backward twice" error
                Tensor[] gin = fn.backward(g);
                if (prof != null) {
                    prof.backwardOp(fn.name(), t0);
                    t0 = System.nanoTime();
                }
                for (int k = 0; k < fn.inputs.length; k++) {
                    Tensor in = fn.inputs[k];
                    if (in == null || !in.requiresGrad() || gin[k] == null) continue;
                    if (!java.util.Arrays.equals(gin[k].shape(), in.shape()))
                        throw new ShapeException(fn.name() + ": backward produced a gradient of shape " + java.util.Arrays.toString(gin[k].shape())
                                + " for an input of shape " + java.util.Arrays.toString(in.shape()));
                    Tensor prev = grads.get(in);
                    grads.put(in, prev == null ? gin[k] : prev.add(gin[k]));
                    if (prof != null && prev != null) {
                        prof.backwardOp("(sum of gradients)", t0);
                        t0 = System.nanoTime();
                    }
                }
                if (!retainGraph) fn.release();
            }
        }
    }

    /** Tensors reachable from root through grad_fn edges, inputs before outputs (iterative DFS). */
    private static List<Tensor> topologicalOrder(Tensor root) {
        List<Tensor> order = new ArrayList<>();
        Set<Tensor> visited = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        List<Object[]> stack = new ArrayList<>();
        stack.add(new Object[]{root, 0});
        visited.add(root);
        while (!stack.isEmpty()) {
            Object[] top = stack.get(stack.size() - 1);
            Tensor t = (Tensor) top[0];
            int next = (Integer) top[1];
            Node fn = t.gradFn();
            if (fn != null && next < fn.inputs.length) {
                top[1] = next + 1;
                Tensor in = fn.inputs[next];
                if (in != null && in.requiresGrad() && visited.add(in)) stack.add(new Object[]{in, 0});
            } else {
                stack.remove(stack.size() - 1);
                order.add(t);
            }
        }
        return order;
    }
}
