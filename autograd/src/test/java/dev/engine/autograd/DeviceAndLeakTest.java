package dev.engine.autograd;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.Backend;
import dev.engine.api.DeviceException;
import dev.engine.cpu.CpuBackend;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Mixing backends is a clear error; the leak-debug mode reports where a leaked buffer was allocated. */
class DeviceAndLeakTest {
    @Test void mixingBackendsThrowsNamingBoth() {
        Backend other = new CpuBackend();   // a second backend instance stands in for another device
        Tensor a = Tensor.ones(3), b = Tensor.full(other, dev.engine.api.DType.F32, 1, 3);
        DeviceException e = assertThrows(DeviceException.class, () -> a.add(b));
        assertTrue(e.getMessage().contains("different devices"), e.getMessage());
        assertThrows(DeviceException.class, () -> a.matmul(b.reshape(3, 1)));
        // an explicit transfer makes them compatible
        assertArrayEquals(new float[]{2, 2, 2}, a.add(b.to(a.backend())).toFloatArray());
    }

    /** Leaks one buffer in a child JVM with -Dengine.leakDebug=true and checks the report names this class. */
    @Test void leakDebugModeReportsTheAllocationSite() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(List.of(java, "-Dengine.leakDebug=true", "-cp", System.getProperty("java.class.path"),
                LeakingMain.class.getName())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.contains("leaked buffer"), out);
        assertTrue(out.contains("LeakingMain.leak"), "the report names the allocating method:\n" + out);
    }

    /** Allocates a tensor outside any scope, drops it, and lets the GC find it. */
    public static final class LeakingMain {
        public static void main(String[] args) throws Exception {
            leak();
            for (int i = 0; i < 50; i++) {
                System.gc();
                Thread.sleep(20);
            }
        }

        static void leak() { Tensor.zeros(1000); }
    }
}
