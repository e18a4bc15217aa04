package dev.engine.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.contract.BackendContract;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** The backend contract suite of engine-api (its test-jar) on the CUDA backend; skipped where there is no GPU. */
class CudaContractTest {
    @TestFactory
    Stream<DynamicNode> contract() {
        Backend cuda = Backends.all().stream().filter(b -> b.name().equals("cuda")).findFirst().orElseThrow();
        assumeTrue(cuda.isAvailable(), () -> "no GPU: " + cuda.unavailableReason());
        return BackendContract.tests(cuda);
    }
}
