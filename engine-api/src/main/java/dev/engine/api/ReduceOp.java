package dev.engine.api;

/**
 * Reductions along axes. ARGMAX/ARGMIN write I64 indices (first occurrence wins).
 *
 * <pre>{@code
 * backend.reduce(ReduceOp.SUM, x, new int[]{1}, out);
 * }</pre>
 */
public enum ReduceOp {
    SUM(0), MEAN(1), MAX(2), MIN(3), ARGMAX(4), ARGMIN(5), SUM_SQUARES(6);

    private final int code;

    ReduceOp(int code) { this.code = code; }

    public int code() { return code; }

    public boolean producesIndices() { return this == ARGMAX || this == ARGMIN; }
}
