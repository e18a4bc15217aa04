package dev.engine.train;

import dev.engine.api.DType;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.nn.Module;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A copy of a module's state dict in Java arrays, so early stopping can put the best epoch's weights
 * back without holding native memory between epochs.
 */
final class WeightSnapshot {
    private record Entry(DType dtype, long[] shape, float[] f, double[] d, long[] l) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    static WeightSnapshot of(Map<String, Tensor> state) {
        WeightSnapshot s = new WeightSnapshot();
        state.forEach((k, t) -> {
            DType dt = t.dtype();
            s.entries.put(k, dt == DType.F64 ? new Entry(dt, t.shape(), null, t.toDoubleArray(), null)
                    : dt.isFloating() ? new Entry(dt, t.shape(), t.toFloatArray(), null, null)
                    : new Entry(dt, t.shape(), null, null, t.toLongArray()));
        });
        return s;
    }

    /** Copies the snapshot into {@code model}'s parameters and buffers. */
    void restoreInto(Module model) {
        try (MemoryScope scope = MemoryScope.open()) {
            Map<String, Tensor> state = new LinkedHashMap<>();
            entries.forEach((k, e) -> {
                Tensor t = e.d != null ? Tensor.of(e.d, e.shape) : e.f != null ? Tensor.of(e.f, e.shape) : Tensor.ofLongs(e.l, e.shape);
                state.put(k, t.dtype() == e.dtype ? t : t.to(e.dtype));
            });
            model.loadStateDict(state);
        }
    }
}
