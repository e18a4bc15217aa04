package dev.engine.train;

import dev.engine.api.EngineException;
import dev.engine.io.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Per-epoch statistics of a training run, saved as CSV and plotted as PNG.
 *
 * <pre>{@code
 * History h = trainer.fit(train);
 * h.writeCsv(Path.of("history.csv"));
 * h.plot(Path.of("history.png"));
 * }</pre>
 */
public final class History {
    private final List<EpochStats> epochs = new ArrayList<>();

    public void add(EpochStats e) { epochs.add(e); }

    public List<EpochStats> epochs() { return Collections.unmodifiableList(epochs); }

    public int size() { return epochs.size(); }

    public EpochStats last() {
        if (epochs.isEmpty()) throw new EngineException("no epoch recorded yet");
        return epochs.get(epochs.size() - 1);
    }

    /** Every metric name in first-seen order. */
    public List<String> metricNames() {
        Set<String> names = new LinkedHashSet<>();
        for (EpochStats e : epochs) names.addAll(e.metrics().keySet());
        return new ArrayList<>(names);
    }

    /** One metric per epoch (NaN where an epoch lacks it). */
    public double[] series(String metric) {
        double[] s = new double[epochs.size()];
        for (int i = 0; i < s.length; i++) s[i] = epochs.get(i).metrics().getOrDefault(metric, Double.NaN);
        return s;
    }

    public String toCsv() {
        List<String> names = metricNames();
        StringBuilder sb = new StringBuilder("epoch");
        for (String n : names) sb.append(',').append(n);
        sb.append(",seconds,samples_per_second\n");
        for (EpochStats e : epochs) {
            sb.append(e.epoch());
            for (String n : names) sb.append(',').append(fmt(e.metrics().getOrDefault(n, Double.NaN)));
            sb.append(',').append(fmt(e.seconds())).append(',').append(fmt(e.samplesPerSecond())).append('\n');
        }
        return sb.toString();
    }

    private static String fmt(double v) { return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v); }

    /** Writes the CSV atomically. */
    public void writeCsv(Path file) { AtomicFiles.write(file, toCsv().getBytes(StandardCharsets.UTF_8)); }

    /** Writes a PNG with the loss curves on top and the other metrics below. */
    public void plot(Path file) { HistoryPlot.write(this, file); }
}
