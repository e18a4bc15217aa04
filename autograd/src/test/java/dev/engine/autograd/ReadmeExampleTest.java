package dev.engine.autograd;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The five-line autograd example of the README, verbatim, with its stated results. */
class ReadmeExampleTest {
    @Test void readmeAutogradExample() {
        Tensor w = Tensor.of(new float[]{1, 2, 3}, 3).requiresGrad(true);
        Tensor x = Tensor.of(new float[]{4, 5, 6}, 3);
        Tensor loss = w.mul(x).sum().square();      // (w·x)^2 = 1024
        loss.backward();
        float[] g = w.grad().toFloatArray();        // 2 (w·x) x = {256, 320, 384}
        assertEquals(1024.0, loss.item(), 1e-3);
        assertArrayEquals(new float[]{256, 320, 384}, g, 1e-3f);
    }
}
