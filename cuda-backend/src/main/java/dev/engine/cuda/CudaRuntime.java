package dev.engine.cuda;

import dev.engine.api.BackendUnavailableException;
import dev.engine.api.EngineException;

/**
 * Loads the native library and picks device 0, once, inside a guarded holder: on a machine without a
 * driver or GPU the static CUDA runtime still loads, {@code cudaGetDeviceCount} returns an error and
 * that error becomes the reason the backend is unavailable. Nothing here throws out of class
 * initialisation.
 */
final class CudaRuntime {
    private CudaRuntime() {}

    /** Why the backend cannot run, or null. */
    static String failure() { return Holder.FAILURE; }

    private static final class Holder {
        static final String FAILURE;
        static {
            String failure;
            try {
                CudaNative.load();
                failure = probe();
            } catch (Throwable t) {
                failure = "CUDA native library failed to load: " + t;
            }
            FAILURE = failure;
        }

        private static String probe() {
            long n = CudaNative.ecu_device_count();
            if (n < 0) {
                int code = (int) -n;
                return "no CUDA driver/device: cudaGetDeviceCount returned " + code + " (" + CudaNative.ecu_error_string(code) + ")";
            }
            if (n == 0) return "no CUDA driver/device: cudaGetDeviceCount found 0 devices";
            int e = CudaNative.ecu_init(0);
            if (e != 0) return "CUDA device 0 could not be initialised: error " + e + " (" + CudaNative.ecu_error_string(e) + ")";
            // -Dengine.cuda.tf32=true: F32 GEMM/conv on TF32 tensor cores from the start (as CudaBackend.setTf32(true))
            if (Boolean.getBoolean("engine.cuda.tf32")) CudaNative.ecu_set_tf32(1);
            return null;
        }
    }

    static void ready() {
        String f = failure();
        if (f != null) throw new BackendUnavailableException("cuda backend unavailable: " + f);
    }

    /** Throws when a native call returned a CUDA error. */
    static void check(String op, int err) {
        if (err != 0) throw new EngineException(op + ": CUDA error " + err + " (" + CudaNative.ecu_error_string(err) + ")");
    }
}
