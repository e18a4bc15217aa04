package dev.engine.cli;

import dev.engine.api.EngineException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one rule for {@code --out}: an existing directory, or a path ending in '/', gets {@code model.bundle}
 * inside; a missing parent directory is an error unless {@code --mkdirs}; checked before any training.
 */
final class OutputPath {
    static final String DEFAULT_NAME = "model.bundle";

    private OutputPath() {}

    /** The bundle file {@code out} names, its parent created when {@code mkdirs}; fails if it cannot be written. */
    static Path resolve(String out, boolean mkdirs) {
        if (out == null || out.isBlank()) throw new EngineException("--out: empty path");
        boolean dirLike = out.endsWith("/") || out.endsWith(java.io.File.separator);
        Path p = Path.of(out).toAbsolutePath().normalize();
        if (dirLike || Files.isDirectory(p)) p = p.resolve(DEFAULT_NAME);
        Path parent = p.getParent();
        if (!Files.isDirectory(parent)) {
            if (Files.exists(parent)) throw new EngineException("--out " + out + ": " + parent + " is not a directory");
            if (!mkdirs) throw new EngineException("--out " + out + ": directory " + parent + " does not exist (create it, or add --mkdirs)");
            try {
                Files.createDirectories(parent);
            } catch (java.io.IOException e) {
                throw new EngineException("--out " + out + ": cannot create " + parent + ": " + e.getMessage(), e);
            }
        }
        if (!Files.isWritable(parent)) throw new EngineException("--out " + out + ": directory " + parent + " is not writable");
        if (Files.isDirectory(p)) throw new EngineException("--out " + out + ": " + p + " is a directory");
        return p;
    }

    /** {@code file} with {@code suffix} appended to its name, in the same directory. */
    static Path sibling(Path file, String suffix) {
        return file.toAbsolutePath().getParent().resolve(file.getFileName() + suffix);
    }
}
