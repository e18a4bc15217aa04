package dev.engine.inference;

import dev.engine.graph.Graph;

/**
 * One graph-to-graph rewrite run by {@link Freezer}. Passes are pure: they return a new graph and never
 * change the one given.
 *
 * <pre>{@code
 * Graph g2 = new DeadCodeElimination().apply(g);
 * }</pre>
 */
public interface GraphPass {
    /** Short name shown in the plan ("dce", "fold-bn", ...). */
    String name();

    Graph apply(Graph g);
}
