package dev.engine.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Training progress: on a terminal a live bar with loss, throughput and ETA; otherwise (a pipe, a log
 * file, CI) one plain line per epoch.
 *
 * <pre>{@code
 * Progress p = Progress.auto(System.out);
 * }</pre>
 */
public final class Progress {
    private final PrintStream out;
    private final boolean live;
    private long epochStart, lastDraw;
    private int totalBatches, totalEpochs;

    private Progress(PrintStream out, boolean live) { this.out = out; this.live = live; }

    /** A live bar when the JVM has a console, plain lines otherwise. */
    public static Progress auto(PrintStream out) { return new Progress(out, System.console() != null); }

    public static Progress lines(PrintStream out) { return new Progress(out, false); }

    /** Prints nothing. */
    public static Progress silent() { return new Progress(null, false); }

    // The four calls below are public for training loops outside this package (the spark module's).

    /** An epoch of {@code totalBatches} steps begins. */
    public void startEpoch(int epoch, int totalEpochs, int totalBatches) {
        this.totalBatches = totalBatches;
        this.totalEpochs = totalEpochs;
        epochStart = System.nanoTime();
        lastDraw = 0;
    }

    /** {@code done} steps of the epoch are finished. */
    public void batch(int epoch, int done, double meanLoss, long samples) {
        if (out == null || !live) return;
        long now = System.nanoTime();
        if (now - lastDraw < 100_000_000L && done < totalBatches) return;
        lastDraw = now;
        double secs = (now - epochStart) / 1e9;
        double eta = done == 0 ? 0 : secs / done * (totalBatches - done);
        int width = 30, fill = totalBatches == 0 ? width : (int) ((long) width * done / totalBatches);
        out.printf(Locale.ROOT, "\repoch %d/%d [%s%s] %d/%d loss %.4f  %.0f samples/s  ETA %.1fs ", epoch + 1, totalEpochs,
                "=".repeat(fill), " ".repeat(width - fill), done, totalBatches, meanLoss, samples / Math.max(secs, 1e-9), eta);
        out.flush();
    }

    /** The epoch ended with these statistics. */
    public void endEpoch(EpochStats e, int totalEpochs) {
        if (out == null) return;
        StringBuilder sb = new StringBuilder(live ? "\r" : "");
        sb.append(String.format(Locale.ROOT, "epoch %d/%d", e.epoch() + 1, totalEpochs));
        e.metrics().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %s %.4f", k, v)));
        sb.append(String.format(Locale.ROOT, "  (%.2fs, %.0f samples/s)", e.seconds(), e.samplesPerSecond()));
        out.println(sb);
    }

    /** A line of its own (resumed, restored, stopped early). */
    public void message(String s) { if (out != null) out.println(s); }
}
