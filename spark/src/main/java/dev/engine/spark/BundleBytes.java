package dev.engine.spark;

import dev.engine.api.EngineException;
import dev.engine.api.ModelFormatException;
import dev.engine.inference.Bundle;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Reads a bundle's bytes from any Hadoop file system (file:, hdfs:, s3a:, ...) on the driver and checks them. */
final class BundleBytes {
    /** Bundles are limited to 2 GiB by their format; a broadcast of that size is already unwise. */
    private static final long MAX = Integer.MAX_VALUE - 64;

    private BundleBytes() {}

    static byte[] read(String path, Configuration conf) {
        if (path == null || path.isBlank()) throw new EngineException("engine predictor: modelPath is not set");
        byte[] bytes;
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(conf);
            if (!fs.exists(p)) throw new EngineException("engine predictor: model " + path + " not found");
            long size = fs.getFileStatus(p).getLen();
            if (fs.getFileStatus(p).isDirectory()) throw new EngineException("engine predictor: model " + path + " is a directory, not a bundle");
            if (size > MAX) throw new ModelFormatException("engine predictor: model " + path + " has " + size + " bytes, over the 2 GiB bundle limit");
            try (InputStream in = fs.open(p)) { bytes = in.readAllBytes(); }
        } catch (IOException | IllegalArgumentException e) {
            throw new EngineException("engine predictor: cannot read model " + path + ": " + e, e);
        }
        try {
            Bundle.fromBytes(bytes);   // fail on the driver, before any task starts
        } catch (ModelFormatException e) {
            throw new ModelFormatException("engine predictor: model " + path + ": " + e.getMessage(), e);
        }
        return bytes;
    }
}
