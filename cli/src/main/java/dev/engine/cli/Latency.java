package dev.engine.cli;

import java.util.Arrays;
import java.util.Locale;

/** Per-call latency statistics from nanosecond samples. */
record Latency(double p50Micros, double p99Micros, double meanMicros, int samples) {
    static Latency of(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        double mean = 0;
        for (long v : s) mean += v;
        mean /= Math.max(1, s.length);
        return new Latency(s[s.length / 2] / 1e3, s[Math.min(s.length - 1, (int) Math.ceil(s.length * 0.99) - 1)] / 1e3, mean / 1e3, s.length);
    }

    @Override public String toString() {
        return String.format(Locale.ROOT, "p50 %.1f us, p99 %.1f us, mean %.1f us over %d calls", p50Micros, p99Micros, meanMicros, samples);
    }
}
