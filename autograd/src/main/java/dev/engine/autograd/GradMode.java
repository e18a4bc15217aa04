package dev.engine.autograd;

/**
 * Turns autograd recording off for the current thread while open (nestable), like PyTorch's
 * {@code torch.no_grad()}.
 *
 * <pre>{@code
 * try (GradMode g = GradMode.noGrad()) {
 *     Tensor y = model.forward(x);   // no graph recorded
 * }
 * }</pre>
 */
public final class GradMode implements AutoCloseable {
    private static final ThreadLocal<int[]> DISABLED = ThreadLocal.withInitial(() -> new int[1]);
    private boolean closed;

    private GradMode() { DISABLED.get()[0]++; }

    /** Disables recording until closed. */
    public static GradMode noGrad() { return new GradMode(); }

    /** Whether ops on this thread currently record a graph. */
    public static boolean isEnabled() { return DISABLED.get()[0] == 0; }

    @Override public void close() {
        if (!closed) {
            closed = true;
            DISABLED.get()[0]--;
        }
    }
}
