package dev.engine.train.search;

import dev.engine.api.EngineException;
import dev.engine.io.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The outcome of a search: every evaluation in the order it ran, and the ranking. The ranking has one
 * row per trial (its last evaluation): trials that reached a later successive-halving round first, then
 * by the metric in the search's direction (failed trials last), ties by trial id; for grid and random
 * search simply by the metric. Printable as a text table and saved as CSV (atomically).
 *
 * <pre>{@code
 * SearchResults r = search.run();
 * System.out.print(r.table());
 * r.writeCsv(Path.of("tune.csv"));   // rank,trial,round,lr,hidden,val_accuracy,epochs,seconds,...,error
 * Trial best = r.best().trial();
 * }</pre>
 */
public final class SearchResults {
    private final String metricName;
    private final Direction direction;
    private final String strategy;
    private final long seed;
    private final List<TrialRecord> evaluations;
    private final List<TrialRecord> ranked;
    private final double seconds;

    /** Results of {@code evaluations} (in the order they ran). */
    public SearchResults(String metricName, Direction direction, String strategy, long seed, List<TrialRecord> evaluations, double seconds) {
        this.metricName = metricName;
        this.direction = direction;
        this.strategy = strategy;
        this.seed = seed;
        this.evaluations = List.copyOf(evaluations);
        this.seconds = seconds;
        Map<Integer, TrialRecord> last = new LinkedHashMap<>();
        for (TrialRecord r : this.evaluations) {
            TrialRecord prev = last.get(r.trial().id());
            if (prev == null || r.round() >= prev.round()) last.put(r.trial().id(), r);
        }
        List<TrialRecord> rows = new ArrayList<>(last.values());
        rows.sort((a, b) -> a.round() != b.round() ? Integer.compare(b.round(), a.round()) : TrialRunner.order(direction).compare(a, b));
        this.ranked = Collections.unmodifiableList(rows);
    }

    public String metricName() { return metricName; }

    public Direction direction() { return direction; }

    /** The strategy's description. */
    public String strategy() { return strategy; }

    public long seed() { return seed; }

    /** Every evaluation, in the order it ran (successive halving evaluates a trial once per round). */
    public List<TrialRecord> evaluations() { return evaluations; }

    /** One row per trial, best first. */
    public List<TrialRecord> ranked() { return ranked; }

    /** The best trial's final evaluation. */
    public TrialRecord best() {
        if (ranked.isEmpty()) throw new EngineException("the search evaluated no trial");
        return ranked.get(0);
    }

    /** How many trials failed (their last evaluation threw). */
    public int failedCount() {
        int n = 0;
        for (TrialRecord r : ranked) if (r.failed()) n++;
        return n;
    }

    /** Epochs trained over all evaluations. */
    public long totalEpochs() {
        long n = 0;
        for (TrialRecord r : evaluations) n += r.epochs();
        return n;
    }

    /** Wall time of the whole search. */
    public double seconds() { return seconds; }

    /** Parameter names in declaration order. */
    public List<String> paramNames() {
        Set<String> names = new LinkedHashSet<>();
        for (TrialRecord r : evaluations) names.addAll(r.trial().params().keySet());
        return new ArrayList<>(names);
    }

    /** Names of the objectives' extra metrics, first seen first. */
    public List<String> extraNames() {
        Set<String> names = new LinkedHashSet<>();
        for (TrialRecord r : evaluations) if (!r.failed()) names.addAll(r.result().extras().keySet());
        names.remove(metricName);
        names.removeAll(paramNames());   // a trainer reports "lr" too; the parameter column already holds it
        return new ArrayList<>(names);
    }

    /** A text table (rank, trial, parameters, metric, epochs, seconds), then failures and a summary line. */
    public String table() {
        List<String> params = paramNames();
        List<String[]> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("rank", "trial"));
        header.addAll(params);
        header.addAll(List.of(metricName + " (" + direction.shortName() + ")", "epochs", "seconds"));
        rows.add(header.toArray(new String[0]));
        for (int i = 0; i < ranked.size(); i++) {
            TrialRecord r = ranked.get(i);
            List<String> row = new ArrayList<>(List.of(Integer.toString(i + 1), "#" + r.trial().id()));
            for (String p : params) row.add(r.trial().has(p) ? r.trial().display(p) : "");
            row.add(r.failed() ? "failed" : String.format(Locale.ROOT, "%.4f", r.metric()));
            row.add(Integer.toString(r.epochs()));
            row.add(String.format(Locale.ROOT, "%.2f", r.seconds()));
            rows.add(row.toArray(new String[0]));
        }
        int[] width = new int[header.size()];
        for (String[] row : rows) for (int c = 0; c < row.length; c++) width[c] = Math.max(width[c], row[c].length());
        StringBuilder sb = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                boolean numeric = c < 2 || c >= row.length - 3;   // rank, trial, metric, epochs, seconds: right-aligned
                line.append(c == 0 ? "" : "  ").append(pad(row[c], width[c], numeric));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        for (TrialRecord r : ranked) if (r.failed()) sb.append("trial #").append(r.trial().id()).append(" failed: ").append(r.error()).append('\n');
        sb.append(summary()).append('\n');
        return sb.toString();
    }

    private static String pad(String s, int w, boolean right) {
        String fill = " ".repeat(Math.max(0, w - s.length()));
        return right ? fill + s : s + fill;
    }

    /** E.g. "random search, 8 trials x 3 epochs: 8 evaluations, 24 epochs, 12.3 s; best #3 (val_accuracy 0.9611)". */
    public String summary() {
        String best = ranked.isEmpty() ? "no trials" : "best #" + best().trial().id() + " (" + metricName + " "
                + (best().failed() ? "failed" : String.format(Locale.ROOT, "%.4f", best().metric())) + ")";
        return String.format(Locale.ROOT, "%s, seed %d: %d evaluations, %d epochs, %.1f s; %s", strategy, seed, evaluations.size(),
                totalEpochs(), seconds, best);
    }

    /**
     * The ranking as CSV: {@code rank,trial,round,<parameters>,<metric>,epochs,seconds,<extra metrics>,error};
     * parameter values in their exact text form ({@code 0.001}, {@code [128,64]}), doubles round-trip.
     */
    public String toCsv() {
        List<String> params = paramNames(), extras = extraNames();
        StringBuilder sb = new StringBuilder();
        List<String> header = new ArrayList<>(List.of("rank", "trial", "round"));
        header.addAll(params);
        header.addAll(List.of(metricName, "epochs", "seconds"));
        header.addAll(extras);
        header.add("error");
        line(sb, header);
        for (int i = 0; i < ranked.size(); i++) {
            TrialRecord r = ranked.get(i);
            List<String> row = new ArrayList<>(List.of(Integer.toString(i + 1), Integer.toString(r.trial().id()), Integer.toString(r.round())));
            for (String p : params) row.add(r.trial().has(p) ? r.trial().format(p) : "");
            row.add(r.failed() ? "" : Values.formatDouble(r.metric()));
            row.add(Integer.toString(r.epochs()));
            row.add(String.format(Locale.ROOT, "%.3f", r.seconds()));
            for (String e : extras) {
                Double v = r.failed() ? null : r.result().extras().get(e);
                row.add(v == null ? "" : Values.formatDouble(v));
            }
            row.add(r.failed() ? r.error() : "");
            line(sb, row);
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, List<String> cells) {
        for (int i = 0; i < cells.size(); i++) sb.append(i == 0 ? "" : ",").append(csv(cells.get(i)));
        sb.append('\n');
    }

    private static String csv(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** Writes {@link #toCsv()} atomically (a temporary file renamed over the target). */
    public void writeCsv(Path file) { AtomicFiles.write(file, toCsv().getBytes(StandardCharsets.UTF_8)); }

    @Override public String toString() { return summary(); }
}
