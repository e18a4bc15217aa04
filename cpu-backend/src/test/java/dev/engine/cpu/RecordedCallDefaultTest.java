package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.ClosedBufferException;
import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.DeviceException;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import dev.engine.api.RecordedCall;
import dev.engine.api.ShapeException;
import org.junit.jupiter.api.Test;

/** The SPI default of {@link Backend#recordCall}: nothing recorded, each run makes the plain calls. */
class RecordedCallDefaultTest {
    static final Backend BE = Backends.get("cpu");

    private static Runnable squarePlusOne(Buffer in, Buffer out, int n) {
        var b = ElementwiseProgram.builder(1);
        ElementwiseProgram p = b.build(b.opImm(ElementwiseOp.ADD_SCALAR, 1, b.op(ElementwiseOp.MUL, 0, 0)));
        return () -> BE.elementwise(p, new BufferView[]{BufferView.of(in, n)}, BufferView.of(out, n));
    }

    @Test void eachRunCopiesInRunsTheWorkAndCopiesOut() {
        try (Buffer in = BE.allocate(DType.F32, 3); Buffer out = BE.allocate(DType.F32, 3)) {
            int[] runs = {0};
            Runnable work = squarePlusOne(in, out, 3);
            try (RecordedCall call = BE.recordCall(in, 3, out, 3, () -> { runs[0]++; work.run(); })) {
                assertEquals(0, runs[0], "recording runs nothing on a backend that cannot record");
                assertEquals(3, call.inputCount());
                assertEquals(3, call.outputCount());
                float[] y = new float[5];
                call.run(new float[]{7, 1, 2, 3}, 1, y, 2);
                assertArrayEquals(new float[]{0, 0, 2, 5, 10}, y);
                call.run(new float[]{-1, 0, 4}, 0, y, 0);
                assertArrayEquals(new float[]{2, 1, 17, 5, 10}, y, "the next run sees the new input");
                assertEquals(2, runs[0]);
            }
        }
    }

    @Test void badArgumentsAreExceptions() {
        try (Buffer in = BE.allocate(DType.F32, 3); Buffer out = BE.allocate(DType.F32, 3); Buffer f64 = BE.allocate(DType.F64, 3)) {
            Runnable none = () -> {};
            assertThrows(EngineException.class, () -> BE.recordCall(null, 3, out, 3, none));
            assertThrows(EngineException.class, () -> BE.recordCall(in, 3, out, 3, null));
            assertThrows(ShapeException.class, () -> BE.recordCall(in, 4, out, 3, none));
            assertThrows(ShapeException.class, () -> BE.recordCall(in, -1, out, 3, none));
            assertThrows(DTypeException.class, () -> BE.recordCall(in, 3, f64, 3, none));
            Buffer foreign = new FakeBackend().foreignBuffer(DType.F32, 3);
            assertThrows(DeviceException.class, () -> BE.recordCall(foreign, 3, out, 3, none));
            try (RecordedCall call = BE.recordCall(in, 3, out, 3, squarePlusOne(in, out, 3))) {
                float[] y = new float[3];
                assertThrows(EngineException.class, () -> call.run(null, 0, y, 0));
                assertThrows(EngineException.class, () -> call.run(new float[3], 0, null, 0));
                assertThrows(ShapeException.class, () -> call.run(new float[2], 0, y, 0));
                assertThrows(ShapeException.class, () -> call.run(new float[3], 1, y, 0));
                assertThrows(ShapeException.class, () -> call.run(new float[3], 0, y, -1));
                assertThrows(ShapeException.class, () -> call.run(new float[3], 0, new float[4], 2));
                call.close();
                EngineException e = assertThrows(EngineException.class, () -> call.run(new float[3], 0, y, 0));
                assertTrue(e.getMessage().contains("closed"), e.getMessage());
                call.close();  // idempotent
            }
        }
        Buffer closed = BE.allocate(DType.F32, 3);
        closed.close();
        try (Buffer out = BE.allocate(DType.F32, 3)) {
            assertThrows(ClosedBufferException.class, () -> BE.recordCall(closed, 3, out, 3, () -> {}));
        }
    }
}
