package dev.engine.autograd;

import dev.engine.api.EngineException;

/**
 * One recorded operation of the autograd graph: its inputs, the tensors it saved for backward (with the
 * version each had when saved) and its gradient rule. Subclasses sit beside their forward code.
 */
public abstract class Node {
    final Tensor[] inputs;
    private Tensor[] saved = new Tensor[0];
    private int[] savedVersions = new int[0];
    private boolean released;

    protected Node(Tensor... inputs) { this.inputs = inputs; }

    /** Short name for error messages and graph printing, e.g. "mul". */
    public abstract String name();

    /**
     * Gradients for each input given the gradient of the output; an entry may be null when that input
     * needs none. Runs with recording off.
     */
    protected abstract Tensor[] backward(Tensor gradOutput);

    /** Remembers tensors needed by backward and their current versions. */
    protected final void save(Tensor... tensors) {
        saved = tensors;
        savedVersions = new int[tensors.length];
        for (int i = 0; i < tensors.length; i++) savedVersions[i] = tensors[i] == null ? 0 : tensors[i].version();
    }

    /** Saved tensor i, checking it was not modified in place since it was saved. */
    protected final Tensor saved(int i) {
        if (released)
            throw new EngineException(name() + ": backward through a graph whose saved tensors were already released; "
                    + "call backward(retainGraph=true) the first time to backward twice");
        Tensor t = saved[i];
        if (t != null && t.version() != savedVersions[i])
            throw new EngineException(name() + ": a tensor saved for backward (shape " + java.util.Arrays.toString(t.shape())
                    + ") was modified in place after it was saved (version " + savedVersions[i] + " -> " + t.version() + ")");
        return t;
    }

    final boolean isReleased() { return released; }

    /** Drops the saved tensors after backward (unless the graph is retained). */
    final void release() {
        released = true;
        saved = new Tensor[0];
    }

    final Tensor input(int i) { return inputs[i]; }

    final boolean needsGrad(int i) { return inputs[i] != null && inputs[i].requiresGrad(); }
}
