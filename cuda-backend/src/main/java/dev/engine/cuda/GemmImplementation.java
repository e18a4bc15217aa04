package dev.engine.cuda;

import dev.engine.api.EngineException;
import java.util.Locale;

/**
 * Which GEMM the CUDA backend runs (matmul, linear layers, convolution's im2col products). Chosen at start
 * with {@code -Dengine.cuda.gemm=auto|cublas|own} and switchable at run time, e.g. to benchmark both in one
 * JVM:
 *
 * <pre>{@code
 * CudaBackend cuda = (CudaBackend) Backends.get("cuda");
 * cuda.setGemmImplementation(GemmImplementation.OWN);       // our SIMT / TF32 kernels
 * cuda.setGemmImplementation(GemmImplementation.CUBLASLT);  // throws if cuBLASLt could not be loaded
 * System.out.println(cuda.gemmDescription());
 * }</pre>
 */
public enum GemmImplementation {
    /** cuBLASLt when it is loaded (falling back to ours for a call it has no algorithm for), else ours. */
    AUTO,
    /** cuBLASLt only: a product it cannot run fails with the reason instead of falling back. */
    CUBLASLT,
    /** Our own kernels only. */
    OWN;

    /** The system property that picks the implementation at start. */
    public static final String PROPERTY = "engine.cuda.gemm";

    /** Parses a property value: {@code auto}, {@code cublas} (or {@code cublaslt}), {@code own}; case-insensitive. */
    public static GemmImplementation parse(String value) {
        if (value == null || value.isBlank()) return AUTO;
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "auto" -> AUTO;
            case "cublas", "cublaslt" -> CUBLASLT;
            case "own" -> OWN;
            default -> throw new EngineException("-D" + PROPERTY + "=" + value + " is not one of auto, cublas, own");
        };
    }
}
