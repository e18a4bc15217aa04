package dev.engine.api.contract;

import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.engine.api.Backend;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

/**
 * The backend contract: every kernel against a naive Java reference on the edge shapes (empty,
 * 1-element, broadcast, strided and transposed views, batches, F32 and F64), and every bad input raising
 * the same {@link dev.engine.api.EngineException} subclass with the same message. A backend module runs
 * it from its tests through this test-jar:
 *
 * <pre>{@code
 * class CpuContractTest {
 *     @TestFactory Stream<DynamicNode> contract() { return BackendContract.tests(Backends.get("cpu")); }
 * }
 * }</pre>
 */
public final class BackendContract {
    private BackendContract() {}

    /** Every family of contract tests for {@code be}, one container each. */
    public static Stream<DynamicNode> tests(Backend be) {
        return Stream.of(
                family("copy", CopyContract.tests(be)),
                family("elementwise", ElementwiseContract.tests(be)),
                family("16-bit storage", HalfStorageContract.tests(be)),
                family("gemm", GemmContract.tests(be)),
                family("reduce", ReduceContract.tests(be)),
                family("softmax and cross-entropy", SoftmaxContract.tests(be)),
                family("attention", AttentionContract.tests(be)),
                family("normalisation", NormContract.tests(be)),
                family("convolution and pooling", ConvPoolContract.tests(be)),
                family("indexing, dropout and optimizers", IndexOptimContract.tests(be)),
                family("bad inputs", BadInputContract.tests(be)));
    }

    private static DynamicNode family(String name, List<DynamicTest> tests) { return dynamicContainer(name, tests.stream()); }

    /** A test whose buffers are closed when it ends. */
    static DynamicTest test(Backend be, String name, Consumer<Fx> body) {
        return dynamicTest(name, () -> {
            try (Fx f = new Fx(be)) {
                body.accept(f);
            }
        });
    }
}
