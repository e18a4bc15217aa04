package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The FMA throughput probe the benchmark reports divide by: a plausible positive figure (any x86-64 core
 * since 2008 does more than 1 GFLOP/s, none yet 1000 per core in FP32); bad arguments throw. Not a speed
 * test: the figure is only checked for sanity.
 */
class FmaPeakTest extends CpuTestBase {
    @Test
    void measuresAPlausiblePeak() {
        double peak = ((CpuBackend) BE).fmaPeakGflops(20);
        assertTrue(peak > 1 && peak < 1000, "FMA peak per core " + peak + " GFLOP/s");
    }

    @Test
    void rejectsBadDurations() {
        CpuBackend cpu = (CpuBackend) BE;
        assertThrows(IllegalArgumentException.class, () -> cpu.fmaPeakGflops(0));
        assertThrows(IllegalArgumentException.class, () -> cpu.fmaPeakGflops(100_000));
    }
}
