package dev.engine.train;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one epoch measured: train loss, validation metrics ("val_loss", "val_accuracy", ...), learning
 * rate, wall time and throughput.
 *
 * <pre>{@code
 * EpochStats e = history.last();
 * double acc = e.metric("val_accuracy");
 * }</pre>
 */
public record EpochStats(int epoch, Map<String, Double> metrics, double seconds, double samplesPerSecond) {
    public EpochStats {
        metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /** A metric by name; throws naming the known ones if absent. */
    public double metric(String name) {
        Double v = metrics.get(name);
        if (v == null) throw new dev.engine.api.EngineException("no metric '" + name + "' in epoch " + epoch + "; have " + metrics.keySet());
        return v;
    }
}
