package dev.engine.cuda;

import dev.engine.api.BackendUnavailableException;
import dev.engine.api.EngineException;

/**
 * The process's side of the CUDA backend, set up once inside a guarded holder: loads the native library and
 * counts the devices (on a machine without a driver or GPU the static CUDA runtime still loads,
 * {@code cudaGetDeviceCount} returns an error and that error becomes the reason the backend is unavailable);
 * with a device, cuBLASLt is looked for and loaded (its absence only means our own GEMM runs) and the GEMM
 * implementation is set from {@code -Dengine.cuda.gemm}. Devices, streams and allocators are not here: each
 * {@link CudaBackend} makes its own {@link CudaContext}. Nothing here throws out of class initialisation.
 */
final class CudaRuntime {
    private CudaRuntime() {}

    /** Status code of a native call whose reason is in {@code ecu_error_message} (never a cudaError_t). */
    static final int MESSAGE = -1;

    /** Why the backend cannot run, or null. */
    static String failure() { return Holder.FAILURE; }

    /** How many CUDA devices there are (0 when the backend is unavailable). */
    static int deviceCount() { return Holder.DEVICES; }

    /** Why cuBLASLt is not in use (not found, failed to load), or null when it is loaded. */
    static String cublasLtFailure() { return Holder.CUBLASLT_FAILURE; }

    private static final class Holder {
        static final String FAILURE;
        static final String CUBLASLT_FAILURE;
        static final int DEVICES;
        static {
            String failure, lt = "the CUDA backend is unavailable";
            long devices = 0;
            try {
                CudaNative.load();
                devices = CudaNative.ecu_device_count();
                failure = probe(devices);
                if (failure == null) {
                    lt = loadCublasLt();
                    failure = chooseGemm(lt);
                }
            } catch (Throwable t) {
                failure = "CUDA native library failed to load: " + t;
            }
            FAILURE = failure;
            CUBLASLT_FAILURE = lt;
            DEVICES = failure == null ? (int) devices : 0;
        }

        private static String probe(long n) {
            if (n < 0) {
                int code = (int) -n;
                return "no CUDA driver/device: cudaGetDeviceCount returned " + code + " (" + CudaNative.ecu_error_string(code) + ")";
            }
            if (n == 0) return "no CUDA driver/device: cudaGetDeviceCount found 0 devices";
            return null;
        }

        /** Null when cuBLASLt loaded, else why not; an unexpected error costs only cuBLASLt, not the backend. */
        private static String loadCublasLt() {
            try {
                return CublasLt.load(CudaLibraryLocator.system());
            } catch (RuntimeException | LinkageError e) {
                return "looking for cuBLASLt failed: " + e;
            }
        }

        /** Applies -Dengine.cuda.gemm; a bad value, or cublas without cuBLASLt, makes the backend unavailable. */
        private static String chooseGemm(String ltFailure) {
            GemmImplementation g;
            try {
                g = GemmImplementation.parse(System.getProperty(GemmImplementation.PROPERTY));
            } catch (EngineException e) {
                return e.getMessage();
            }
            if (g == GemmImplementation.CUBLASLT && ltFailure != null)
                return "-D" + GemmImplementation.PROPERTY + "=cublas but cuBLASLt could not be loaded: " + ltFailure;
            CudaNative.ecu_set_gemm_mode(g.ordinal());
            return null;
        }
    }

    static void ready() {
        String f = failure();
        if (f != null) throw new BackendUnavailableException("cuda backend unavailable: " + f);
    }

    /** Throws when a native call returned a CUDA error (or {@link #MESSAGE}: then with the native reason). */
    static void check(String op, int err) {
        if (err == MESSAGE) throw new EngineException(op + ": " + CudaNative.ecu_error_message());
        if (err != 0) throw new EngineException(op + ": CUDA error " + err + " (" + CudaNative.ecu_error_string(err) + ")");
    }
}
