package dev.engine.cuda;

import dev.engine.api.contract.BackendContract;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/**
 * The backend contract suite of engine-api (its test-jar) on the CUDA backend: skipped where there is no
 * GPU, a failure where {@code engine.requireCuda} is set (the GPU bundle sets it), as the parity tests.
 */
class CudaContractTest {
    @TestFactory
    Stream<DynamicNode> contract() { return BackendContract.tests(Parity.gpu()); }
}
