package dev.engine.io;

import dev.engine.api.EngineException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file atomically: the bytes go to a temporary file in the same directory, are forced to disk,
 * and the temporary file is renamed over the target, so readers see the old file or the new one, never
 * a half-written one. The temporary file is named {@code .NAME.<pid>.<random>.tmp}; one left behind by a
 * killed process (its pid no longer alive) is removed by the next write to the same target. Files are
 * created with the process's umask, like any other file it writes.
 *
 * <pre>{@code
 * AtomicFiles.write(Path.of("model.bundle"), bytes);
 * }</pre>
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Writes {@code bytes} to {@code target} atomically; fails with an {@link EngineException} naming the file. */
    public static void write(Path target, byte[] bytes) {
        if (target == null || bytes == null) throw new EngineException("atomic write: target and bytes are required");
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            if (dir != null) Files.createDirectories(dir);
            removeStale(dir, abs.getFileName().toString());
            tmp = create(dir, abs.getFileName().toString());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            if (dir != null) {
                try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                    d.force(true);   // make the rename itself durable; not possible on every platform
                } catch (IOException | UnsupportedOperationException ignored) {
                    // best effort
                }
            }
        } catch (IOException e) {
            throw new EngineException("could not write " + target + ": " + e, e);
        } finally {
            if (tmp != null) try { Files.deleteIfExists(tmp); } catch (IOException ignored) { }
        }
    }

    /** A new, empty temporary file beside the target; default permissions, so the umask applies. */
    private static Path create(Path dir, String name) throws IOException {
        long pid = ProcessHandle.current().pid();
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve("." + name + "." + pid + "." + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1) + ".tmp");
            try {
                Files.newByteChannel(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return p;
            } catch (FileAlreadyExistsException e) {
                if (attempt > 100) throw e;
            }
        }
    }

    /** Deletes temporary files of earlier writes to {@code name} whose process has died. */
    static void removeStale(Path dir, String name) {
        String prefix = "." + name + ".";
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, p -> p.getFileName().toString().startsWith(prefix)
                && p.getFileName().toString().endsWith(".tmp"))) {
            for (Path f : files) {
                String[] parts = f.getFileName().toString().substring(prefix.length()).split("\\.");
                if (parts.length != 3) continue;
                long pid;
                try {
                    pid = Long.parseLong(parts[0]);
                } catch (NumberFormatException e) {
                    continue;
                }
                boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
                if (!alive) Files.deleteIfExists(f);
            }
        } catch (IOException ignored) {
            // cleaning up is best effort; the write itself reports real problems
        }
    }
}
