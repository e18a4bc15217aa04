package dev.engine.train.search;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * Hears about a search as it runs, e.g. to print progress on a command line. All methods default to
 * doing nothing.
 *
 * <pre>{@code
 * HyperparameterSearch.builder(space, objective).strategy(new RandomSearch(20, 5))
 *         .listener(SearchListener.printing(System.out)).build().run();
 * }</pre>
 */
public interface SearchListener {
    /** Before a trial is evaluated. */
    default void trialStarted(Trial trial, int budget, int round) {}

    /** After a trial was evaluated (or failed). */
    default void trialFinished(TrialRecord record) {}

    /** Successive halving: a round ended and these trials go on with {@code nextBudget} epochs. */
    default void roundFinished(int round, List<Trial> survivors, int nextBudget) {}

    static SearchListener none() { return new SearchListener() {}; }

    /** One line per finished trial and per halving round, e.g. {@code [4] round 0 #3 lr=0.01 hidden=64: 0.9611 (3 epochs, 1.2 s)}. */
    static SearchListener printing(PrintStream out) { return printing(out, null); }

    /** As {@link #printing(PrintStream)}, naming the metric: {@code ...: val_accuracy 0.9611 (3 epochs, 1.2 s)}. */
    static SearchListener printing(PrintStream out, String metricName) {
        String label = metricName == null ? "" : metricName + " ";
        return new SearchListener() {
            private int done;

            @Override public void trialFinished(TrialRecord r) {
                done++;
                String what = r.failed() ? "FAILED: " + r.error() : label + Values.shortDouble(r.metric());
                out.printf(Locale.ROOT, "[%d] round %d %s: %s (%d epochs, %.1f s)%n", done, r.round(), r.trial(), what, r.epochs(), r.seconds());
                out.flush();
            }

            @Override public void roundFinished(int round, List<Trial> survivors, int nextBudget) {
                StringBuilder ids = new StringBuilder();
                for (Trial t : survivors) ids.append(ids.length() == 0 ? "#" : ", #").append(t.id());
                out.printf(Locale.ROOT, "round %d done: %d kept (%s), next budget %d epochs%n", round, survivors.size(), ids, nextBudget);
                out.flush();
            }
        };
    }
}
