package dev.engine.cpu;

import dev.engine.api.Backends;
import dev.engine.api.contract.BackendContract;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.TestFactory;

/** The backend contract suite of engine-api (its test-jar) on the CPU backend. */
class CpuContractTest {
    @TestFactory
    Stream<DynamicNode> contract() { return BackendContract.tests(Backends.get("cpu")); }
}
