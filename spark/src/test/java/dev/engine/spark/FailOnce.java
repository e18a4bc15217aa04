package dev.engine.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A round hook that fails one worker's round once: the first attempt to reach it creates a marker file and
 * fails (throws, or halts the executor JVM); every later attempt, in any JVM of this machine, finds the
 * marker and trains. With {@code always} it fails every attempt (a job that cannot finish).
 */
final class FailOnce implements SparkTrainer.RoundHook {
    private static final long serialVersionUID = 1L;

    private final String marker;
    private final int epoch, round, worker;
    private final boolean halt, always;

    FailOnce(Path marker, int epoch, int round, int worker, boolean halt, boolean always) {
        this.marker = marker.toString(); this.epoch = epoch; this.round = round; this.worker = worker; this.halt = halt; this.always = always;
    }

    @Override public void beforeLocalSteps(int epoch, int round, int worker, int attempt) {
        if (epoch != this.epoch || round != this.round || worker != this.worker) return;
        try {
            if (!always) Files.createFile(Path.of(marker));
        } catch (FileAlreadyExistsException e) {
            return;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (halt) Runtime.getRuntime().halt(3);   // the executor dies mid-round, as a lost machine would
        throw new IllegalStateException("injected failure: epoch " + epoch + ", round " + round + ", worker " + worker + ", attempt " + attempt);
    }

    static boolean fired(Path marker) { return Files.exists(marker); }
}
