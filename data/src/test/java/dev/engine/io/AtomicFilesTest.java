package dev.engine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Temporary files can be found by name, a dead writer's leftovers go on the next write, the umask applies. */
class AtomicFilesTest {
    @TempDir Path dir;

    @Test void staleTemporariesOfDeadProcessesAreRemovedOnTheNextWrite() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        long dead = p.pid();
        long self = ProcessHandle.current().pid();
        Path stale = Files.writeString(dir.resolve(".x.model." + dead + ".1f2e.tmp"), "half a model");
        Path live = Files.writeString(dir.resolve(".x.model." + self + ".99.tmp"), "being written right now");
        Path other = Files.writeString(dir.resolve(".y.model." + dead + ".1f2e.tmp"), "another target's");
        AtomicFiles.write(dir.resolve("x.model"), new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(dir.resolve("x.model")));
        assertFalse(Files.exists(stale), "a dead process's temporary file is removed");
        assertTrue(Files.exists(live), "a live process's temporary file is left alone");
        assertTrue(Files.exists(other), "only the target's own temporaries are touched");
    }

    @Test void filesGetTheSamePermissionsAsAnyNewFile() throws Exception {
        if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) return;
        Path plain = Files.createFile(dir.resolve("plain"));   // default permissions: 0666 minus the umask
        Path atomic = dir.resolve("atomic");
        AtomicFiles.write(atomic, new byte[] {7});
        assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(atomic)));
    }
}
