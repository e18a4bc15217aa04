package dev.engine.cuda;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Loads cuBLASLt into our native library (dlopen by absolute path, then the bare soname through the
 * loader's path), once, after the device is initialised. Failing to find or open it is not an error: the
 * backend then runs our own GEMM kernels and says why.
 */
final class CublasLt {
    private CublasLt() {}

    static final String LIBRARY = "libcublasLt.so.13";

    /** Looks for the library and loads it; returns null when loaded, else the reason it is not. */
    static String load(CudaLibraryLocator locator) {
        CudaLibraryLocator.Search s = locator.find(LIBRARY);
        if (CudaNative.ecu_cublaslt_load(join(s.found()), 1) == 0) return null;
        String reason = CudaNative.ecu_cublaslt_status();
        return s.found().isEmpty() ? s.notFoundReason() + "; " + reason : reason;
    }

    /** Whether {@code candidates} (then the bare soname, if allowed) hold a loadable cuBLASLt; null if so, else why. */
    static String probe(List<Path> candidates, boolean allowBareName) {
        String why = CudaNative.ecu_cublaslt_probe(join(candidates), allowBareName ? 1 : 0);
        return why == null || why.isEmpty() ? null : why;
    }

    static boolean loaded() { return CudaNative.ecu_cublaslt_loaded() != 0; }

    /** "cuBLASLt 13.x.y (path)" when loaded, else the reason it is not. */
    static String status() { return CudaNative.ecu_cublaslt_status(); }

    private static String join(List<Path> paths) {
        return paths.stream().map(p -> p.toAbsolutePath().toString()).collect(Collectors.joining("\n"));
    }
}
