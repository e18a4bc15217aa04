package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.ClosedBufferException;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.DeviceException;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.IndexOutOfRangeException;
import dev.engine.api.Layout;
import dev.engine.api.MatrixRef;
import dev.engine.api.OptimizerHyperparams;
import dev.engine.api.Pool2dShape;
import dev.engine.api.ReduceOp;
import dev.engine.api.ShapeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad calls must throw the matching dev.engine.api exception, whose message names the op, before any
 * native code runs; the JVM survives (a crash would end the whole test run). Each test finishes with a
 * correct call to show the backend still works.
 */
class BadInputTest extends CpuTestBase {
    static <T extends EngineException> T expect(Class<T> type, String op, Executable call) {
        T e = assertThrows(type, call);
        assertMessageNames(e, op);
        return e;
    }

    static final ElementwiseProgram ADD = ElementwiseProgram.single(ElementwiseOp.ADD, 0);
    static final ElementwiseProgram RELU = ElementwiseProgram.single(ElementwiseOp.RELU, 0);

    void stillWorks() {
        Buffer a = buf(DType.F32, new double[]{-1, 2}), out = alloc(DType.F32, 2);
        BE.elementwise(RELU, new BufferView[]{BufferView.of(a, 2)}, BufferView.of(out, 2));
        assertArrayEquals(new double[]{0, 2}, read(out), 0);
    }

    @Test
    void closedBuffersEverywhere() {
        Buffer x = alloc(DType.F32, 16), y = alloc(DType.F32, 16);
        Buffer closed = BE.allocate(DType.F32, 16);
        closed.close();
        closed.close(); // idempotent
        expect(ClosedBufferException.class, "elementwise", () -> BE.elementwise(RELU, new BufferView[]{BufferView.of(closed, 16)}, BufferView.of(y, 16)));
        expect(ClosedBufferException.class, "elementwise", () -> BE.elementwise(RELU, new BufferView[]{BufferView.of(x, 16)}, BufferView.of(closed, 16)));
        expect(ClosedBufferException.class, "copy", () -> BE.copy(BufferView.of(closed, 16), BufferView.of(y, 16)));
        expect(ClosedBufferException.class, "copyIn", () -> BE.copyIn(new float[16], 0, closed, 0, 16));
        expect(ClosedBufferException.class, "copyOut", () -> BE.copyOut(closed, 0, new float[16], 0, 16));
        expect(ClosedBufferException.class, "gemm", () -> BE.gemm(false, false, 4, 4, 4, 1, MatrixRef.of(closed, 4), MatrixRef.of(x, 4), 0,
                MatrixRef.of(y, 4), 1, Epilogue.NONE));
        expect(ClosedBufferException.class, "gemm", () -> BE.gemm(false, false, 4, 4, 4, 1, MatrixRef.of(x, 4), MatrixRef.of(x, 4), 0,
                MatrixRef.of(y, 4), 1, Epilogue.of(closed, Activation.RELU)));
        expect(ClosedBufferException.class, "reduce", () -> BE.reduce(ReduceOp.SUM, BufferView.of(closed, 16), new int[]{0}, y));
        expect(ClosedBufferException.class, "softmax", () -> BE.softmax(closed, y, 4, 4, false));
        expect(ClosedBufferException.class, "layerNorm", () -> BE.layerNormForward(x, closed, null, 4, 4, 1e-5, y, x, x));
        expect(ClosedBufferException.class, "batchNorm", () -> BE.batchNormForward(x, null, null, closed, null, 2, 2, 4, true, 0.1, 1e-5, y, null, null));
        expect(ClosedBufferException.class, "conv2d", () -> BE.conv2dForward(new Conv2dShape(1, 1, 4, 4, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1), closed, x, null, null, y));
        expect(ClosedBufferException.class, "maxPool2d", () -> BE.maxPool2dForward(new Pool2dShape(1, 1, 4, 4, 2, 2, 2, 2, 0, 0, false), x, closed, longs(0, 0, 0, 0)));
        expect(ClosedBufferException.class, "gatherRows", () -> BE.gatherRows(x, 4, 4, longs(0), 1, closed));
        expect(ClosedBufferException.class, "dropoutMask", () -> BE.dropoutMask(1, 0, 0.5, closed, 16));
        expect(ClosedBufferException.class, "sgdStep", () -> BE.sgdStep(new Buffer[]{closed}, new Buffer[]{x}, null, new OptimizerHyperparams.Sgd(0.1, 0, 0, 0, false)));
        expect(ClosedBufferException.class, "adamStep", () -> BE.adamStep(new Buffer[]{x}, new Buffer[]{y}, new Buffer[]{x}, new Buffer[]{closed},
                new OptimizerHyperparams.Adam(0.1, 0.9, 0.99, 1e-8, 0, false, 1)));
        stillWorks();
    }

    @Test
    void wrongDtypes() {
        Buffer f32 = alloc(DType.F32, 16), f64 = alloc(DType.F64, 16), i64 = alloc(DType.I64, 16), i32 = alloc(DType.I32, 16);
        expect(DTypeException.class, "elementwise", () -> BE.elementwise(ADD, new BufferView[]{BufferView.of(f32, 16), BufferView.of(f64, 16)}, BufferView.of(f32, 16)));
        expect(DTypeException.class, "elementwise", () -> BE.elementwise(RELU, new BufferView[]{BufferView.of(i64, 16)}, BufferView.of(i64, 16)));
        expect(DTypeException.class, "gemm", () -> BE.gemm(false, false, 4, 4, 4, 1, MatrixRef.of(f64, 4), MatrixRef.of(f32, 4), 0, MatrixRef.of(f32, 4), 1, Epilogue.NONE));
        expect(DTypeException.class, "gemm", () -> BE.gemm(false, false, 4, 4, 4, 1, MatrixRef.of(i32, 4), MatrixRef.of(i32, 4), 0, MatrixRef.of(i32, 4), 1, Epilogue.NONE));
        expect(DTypeException.class, "reduce", () -> BE.reduce(ReduceOp.ARGMAX, BufferView.of(f32, 16), new int[]{0}, f32));
        expect(DTypeException.class, "reduce", () -> BE.reduce(ReduceOp.SUM, BufferView.of(f32, 16), new int[]{0}, f64));
        expect(DTypeException.class, "softmax", () -> BE.softmax(f32, f64, 4, 4, true));
        expect(DTypeException.class, "crossEntropy", () -> BE.crossEntropy(f32, f32, null, 4, 4, 0, -100, f32, f32, null));
        expect(DTypeException.class, "crossEntropy", () -> BE.crossEntropy(i64, i64, null, 4, 4, 0, -100, f32, f32, null));
        expect(DTypeException.class, "gatherRows", () -> BE.gatherRows(f32, 4, 4, f32, 1, f32));
        expect(DTypeException.class, "scatterAddRows", () -> BE.scatterAddRows(i64, i64, 1, 4, i64, 4));
        expect(DTypeException.class, "maxPool2d", () -> BE.maxPool2dForward(new Pool2dShape(1, 1, 4, 4, 2, 2, 2, 2, 0, 0, false), f32, f32, f32));
        expect(DTypeException.class, "layerNorm", () -> BE.layerNormForward(f32, f64, null, 4, 4, 1e-5, f32, f32, f32));
        expect(DTypeException.class, "dropoutMask", () -> BE.dropoutMask(1, 0, 0.5, i32, 16));
        expect(DTypeException.class, "sgdStep", () -> BE.sgdStep(new Buffer[]{f32, f64}, new Buffer[]{f32, f64}, null, new OptimizerHyperparams.Sgd(0.1, 0, 0, 0, false)));
        expect(DTypeException.class, "copyIn", () -> BE.copyIn(new double[4], 0, f32, 0, 4));
        expect(DTypeException.class, "allocate", () -> BE.allocate(DType.I8, 4));  // BF16 / F16 are storage now
        stillWorks();
    }

    @Test
    void mismatchedShapes() {
        Buffer a = alloc(DType.F32, 64), b = alloc(DType.F32, 64);
        expect(ShapeException.class, "elementwise", () -> BE.elementwise(ADD, new BufferView[]{BufferView.of(a, 4, 4), BufferView.of(a, 4)}, BufferView.of(b, 4, 4)));
        expect(EngineException.class, "elementwise", () -> BE.elementwise(ADD, new BufferView[]{BufferView.of(a, 4)}, BufferView.of(b, 4)));
        expect(ShapeException.class, "copy", () -> BE.copy(BufferView.of(a, 4, 4), BufferView.of(b, 16)));
        expect(ShapeException.class, "gemm", () -> BE.gemm(false, false, 8, 8, 8, 1, MatrixRef.of(a, 8), MatrixRef.of(a, 8), 0, MatrixRef.of(b, 4), 1, Epilogue.NONE));
        expect(ShapeException.class, "gemm", () -> BE.gemm(false, false, 8, 8, 9, 1, MatrixRef.of(a, 9), MatrixRef.of(a, 8), 0, MatrixRef.of(b, 8), 1, Epilogue.NONE));
        expect(ShapeException.class, "gemm", () -> BE.gemm(true, false, 8, 8, 8, 1, MatrixRef.of(a, 8), MatrixRef.of(a, 8), 0, new MatrixRef(b, 0, 8, 64), 2, Epilogue.NONE));
        expect(ShapeException.class, "gemm", () -> BE.gemm(false, false, 4, 20, 4, 1, MatrixRef.of(a, 4), MatrixRef.of(a, 20), 0, MatrixRef.of(b, 20), 1,
                Epilogue.of(alloc(DType.F32, 19), Activation.NONE)));
        expect(ShapeException.class, "reduce", () -> BE.reduce(ReduceOp.SUM, BufferView.of(a, 4, 16), new int[]{2}, b));
        expect(ShapeException.class, "reduce", () -> BE.reduce(ReduceOp.SUM, BufferView.of(a, 4, 16), new int[]{1, -1}, b));
        expect(ShapeException.class, "reduce", () -> BE.reduce(ReduceOp.ARGMAX, BufferView.of(a, 4, 16), new int[]{0, 1}, alloc(DType.I64, 1)));
        expect(ShapeException.class, "reduce", () -> BE.reduce(ReduceOp.ARGMAX, BufferView.of(a, 4, 0), new int[]{1}, alloc(DType.I64, 4)));
        expect(ShapeException.class, "reduce", () -> BE.reduce(ReduceOp.SUM, BufferView.of(a, 4, 16), new int[]{0}, alloc(DType.F32, 15)));
        expect(ShapeException.class, "softmax", () -> BE.softmax(a, b, 8, 9, false));
        expect(ShapeException.class, "conv2d", () -> BE.conv2dForward(new Conv2dShape(1, 1, 8, 8, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1), a, alloc(DType.F32, 1), null, null, alloc(DType.F32, 63)));
        expect(ShapeException.class, "avgPool2d", () -> BE.avgPool2dForward(new Pool2dShape(1, 1, 9, 9, 2, 2, 2, 2, 0, 0, false), a, b));
        expect(ShapeException.class, "adaptiveAvgPool2d", () -> BE.adaptiveAvgPool2dForward(a, b, 1, 8, 8, 0, 1));
        expect(EngineException.class, "sgdStep", () -> BE.sgdStep(new Buffer[]{a}, new Buffer[]{}, null, new OptimizerHyperparams.Sgd(0.1, 0, 0, 0, false)));
        expect(ShapeException.class, "sgdStep", () -> BE.sgdStep(new Buffer[]{a}, new Buffer[]{alloc(DType.F32, 63)}, null, new OptimizerHyperparams.Sgd(0.1, 0, 0, 0, false)));
        expect(EngineException.class, "sgdStep", () -> BE.sgdStep(new Buffer[]{a}, new Buffer[]{b}, new Buffer[]{null}, new OptimizerHyperparams.Sgd(0.1, 0.9, 0, 0, false)));
        expect(EngineException.class, "adamStep", () -> BE.adamStep(new Buffer[]{a}, new Buffer[]{b}, null, null, new OptimizerHyperparams.Adam(0.1, 0.9, 0.99, 1e-8, 0, false, 1)));
        expect(EngineException.class, "batchNorm", () -> BE.batchNormForward(a, null, null, null, null, 1, 4, 1, true, 0.1, 1e-5, b, null, null));
        stillWorks();
    }

    @Test
    void negativeAndOverflowingSizes() {
        Buffer a = alloc(DType.F32, 64), b = alloc(DType.F32, 64);
        expect(ShapeException.class, "allocate", () -> BE.allocate(DType.F32, -1));
        expect(ShapeException.class, "allocate", () -> BE.allocate(DType.F64, Long.MAX_VALUE / 4));
        expect(EngineException.class, "allocate", () -> BE.allocate(DType.I8, Long.MAX_VALUE));
        expect(ShapeException.class, "softmax", () -> BE.softmax(a, b, -1, 4, false));
        expect(ShapeException.class, "softmax", () -> BE.softmax(a, b, Long.MAX_VALUE, 4, false));
        expect(ShapeException.class, "gemm", () -> BE.gemm(false, false, -1, 4, 4, 1, MatrixRef.of(a, 4), MatrixRef.of(a, 4), 0, MatrixRef.of(b, 4), 1, Epilogue.NONE));
        expect(ShapeException.class, "gemm", () -> BE.gemm(false, false, 4, 4, 4, 1, MatrixRef.of(a, 4), MatrixRef.of(a, 4), 0, MatrixRef.of(b, 4), -2, Epilogue.NONE));
        expect(ShapeException.class, "gemm", () -> BE.gemm(false, false, 2, 2, 2, 1, new MatrixRef(a, 0, 2, Long.MAX_VALUE / 2), MatrixRef.of(a, 2), 0,
                MatrixRef.of(b, 2), 3, Epilogue.NONE));
        expect(ShapeException.class, "gemm", () -> BE.gemm(false, false, 2, 2, 2, 1, MatrixRef.of(a, 2), MatrixRef.of(a, (long) Integer.MAX_VALUE + 5), 0,
                MatrixRef.of(b, 2), 1, Epilogue.NONE));
        expect(ShapeException.class, "gemm", () -> BE.gemm(false, false, 2, 2, 2, 1, new MatrixRef(a, Long.MAX_VALUE - 1, 2, 0), MatrixRef.of(a, 2), 0,
                MatrixRef.of(b, 2), 1, Epilogue.NONE));
        expect(ShapeException.class, "layerNorm", () -> BE.layerNormForward(a, null, null, 4, -16, 1e-5, b, a, a));
        expect(ShapeException.class, "gatherRows", () -> BE.gatherRows(a, 4, 16, longs(0), -1, b));
        expect(ShapeException.class, "scatterAddRows", () -> BE.scatterAddRows(a, longs(0), 1, Long.MAX_VALUE, b, 4));
        expect(ShapeException.class, "dropoutMask", () -> BE.dropoutMask(1, 0, 0.5, a, -3));
        expect(ShapeException.class, "dropoutMask", () -> BE.dropoutMask(1, 0, 0.5, a, 65));
        expect(EngineException.class, "dropoutMask", () -> BE.dropoutMask(1, 0, 1.5, a, 4));
        expect(EngineException.class, "dropoutMask", () -> BE.dropoutMask(1, 0, Double.NaN, a, 4));
        expect(EngineException.class, "dropoutMask", () -> BE.dropoutMask(1, -1, 0.5, a, 4));
        expect(EngineException.class, "crossEntropy", () -> BE.crossEntropy(a, longs(0), null, 1, 4, Double.NaN, -100, a, b, null));
        expect(ShapeException.class, "copyIn", () -> BE.copyIn(new float[4], 2, a, 0, 4));
        expect(ShapeException.class, "copyIn", () -> BE.copyIn(new float[4], 0, a, 62, 4));
        expect(ShapeException.class, "copyOut", () -> BE.copyOut(a, -1, new float[4], 0, 4));
        expect(ShapeException.class, "copyOut", () -> BE.copyOut(a, 0, new float[4], 0, -1));
        expect(ShapeException.class, "copyOut", () -> BE.copyOut(a, Long.MAX_VALUE, new float[4], 0, 4));
        stillWorks();
    }

    @Test
    void layoutsOutsideTheirBuffer() {
        Buffer a = alloc(DType.F32, 16), b = alloc(DType.F32, 64);
        expect(ShapeException.class, "elementwise", () -> BE.elementwise(RELU, new BufferView[]{BufferView.of(a, 4, 5)}, BufferView.of(b, 4, 5)));
        expect(ShapeException.class, "elementwise", () -> BE.elementwise(RELU, new BufferView[]{new BufferView(a, Layout.contiguous(4, 4).withOffset(1))}, BufferView.of(b, 4, 4)));
        expect(ShapeException.class, "elementwise", () -> BE.elementwise(RELU, new BufferView[]{BufferView.of(b, 4, 5)}, BufferView.of(a, 4, 5)));
        expect(ShapeException.class, "copy", () -> BE.copy(new BufferView(a, new Layout(new long[]{4}, new long[]{6}, 0)), BufferView.of(b, 4)));
        expect(ShapeException.class, "copy", () -> BE.copy(new BufferView(a, new Layout(new long[]{2}, new long[]{-3}, 2)), BufferView.of(b, 2)));
        expect(ShapeException.class, "reduce", () -> BE.reduce(ReduceOp.SUM, new BufferView(a, Layout.contiguous(4, 4).transpose(0, 1).withOffset(3)), new int[]{0}, b));
        // strides so large that the end of the span overflows 64 bits must not look "empty"
        expect(ShapeException.class, "copy", () -> BE.copy(new BufferView(a, new Layout(new long[]{3}, new long[]{Long.MAX_VALUE / 2 + 1}, 0)), BufferView.of(b, 3)));
        expect(ShapeException.class, "elementwise", () -> BE.elementwise(RELU,
                new BufferView[]{new BufferView(a, new Layout(new long[]{2, 2}, new long[]{Long.MAX_VALUE, 1}, 0))}, BufferView.of(b, 2, 2)));
        expect(ShapeException.class, "copy", () -> BE.copy(new BufferView(a, new Layout(new long[]{Long.MAX_VALUE}, new long[]{1}, 10)), new BufferView(b,
                new Layout(new long[]{Long.MAX_VALUE}, new long[]{0}, 0))));
        stillWorks();
    }

    @Test
    void broadcastOutputsAreRejected() {
        Buffer a = alloc(DType.F32, 16), b = alloc(DType.F32, 4);
        Layout bcast = Layout.contiguous(4).broadcastTo(new long[]{4, 4});
        expect(ShapeException.class, "elementwise", () -> BE.elementwise(RELU, new BufferView[]{BufferView.of(a, 4, 4)}, new BufferView(b, bcast)));
        expect(ShapeException.class, "copy", () -> BE.copy(BufferView.of(a, 4, 4), new BufferView(b, bcast)));
        stillWorks();
    }

    @Test
    void outOfRangeIndices() {
        Buffer x = buf(DType.F32, new double[16]), gy = buf(DType.F32, new double[4]), gx = alloc(DType.F32, 16);
        Pool2dShape g = new Pool2dShape(1, 1, 4, 4, 2, 2, 2, 2, 0, 0, false);
        for (long bad : new long[]{16, -1, Long.MIN_VALUE}) {
            expect(IndexOutOfRangeException.class, "maxPool2dBackward", () -> BE.maxPool2dBackward(g, gy, longs(0, 2, bad, 10), gx));
        }
        expect(IndexOutOfRangeException.class, "gatherRows", () -> BE.gatherRows(x, 0, 4, longs(0), 1, gx));
        stillWorks();
    }

    @Test
    void buffersOfAnotherBackend() {
        FakeBackend fake = new FakeBackend();
        Buffer foreign = fake.foreignBuffer(DType.F32, 64), mine = alloc(DType.F32, 64);
        expect(DeviceException.class, "elementwise", () -> BE.elementwise(RELU, new BufferView[]{BufferView.of(foreign, 64)}, BufferView.of(mine, 64)));
        expect(DeviceException.class, "copy", () -> BE.copy(BufferView.of(mine, 64), BufferView.of(foreign, 64)));
        expect(DeviceException.class, "copyIn", () -> BE.copyIn(new float[4], 0, foreign, 0, 4));
        expect(DeviceException.class, "gemm", () -> BE.gemm(false, false, 8, 8, 8, 1, MatrixRef.of(foreign, 8), MatrixRef.of(mine, 8), 0,
                MatrixRef.of(mine, 8), 1, Epilogue.NONE));
        expect(DeviceException.class, "softmax", () -> BE.softmax(mine, foreign, 8, 8, false));
        expect(DeviceException.class, "adamStep", () -> BE.adamStep(new Buffer[]{mine}, new Buffer[]{mine}, new Buffer[]{foreign}, new Buffer[]{mine},
                new OptimizerHyperparams.Adam(0.1, 0.9, 0.99, 1e-8, 0, false, 1)));
        expect(DeviceException.class, "scatterAddRows", () -> BE.scatterAddRows(mine, longs(0), 1, 8, foreign, 8));
        // another CpuBackend instance owns its own buffers
        CpuBackend other = new CpuBackend();
        try (Buffer ob = other.allocate(DType.F32, 64)) {
            var e = expect(DeviceException.class, "elementwise", () -> BE.elementwise(RELU, new BufferView[]{BufferView.of(ob, 64)}, BufferView.of(mine, 64)));
            assertEquals(DeviceException.class, e.getClass());
        }
        stillWorks();
    }

    @Test
    void nullBuffers() {
        Buffer a = alloc(DType.F32, 16), b = alloc(DType.F32, 16);
        expect(EngineException.class, "softmax", () -> BE.softmax(null, b, 4, 4, false));
        expect(EngineException.class, "softmax", () -> BE.softmax(a, null, 4, 4, false));
        expect(EngineException.class, "layerNorm", () -> BE.layerNormForward(null, null, null, 4, 4, 1e-5, b, a, a));
        expect(EngineException.class, "batchNorm", () -> BE.batchNormForward(null, null, null, null, null, 2, 2, 4, true, 0.1, 1e-5, b, null, null));
        expect(EngineException.class, "crossEntropy", () -> BE.crossEntropy(null, a, null, 4, 4, 0, -100, a, a, null));
        expect(EngineException.class, "conv2d", () -> BE.conv2dForward(new Conv2dShape(1, 1, 4, 4, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1), null, a, null, null, b));
        expect(EngineException.class, "maxPool2d", () -> BE.maxPool2dForward(new Pool2dShape(1, 1, 4, 4, 2, 2, 2, 2, 0, 0, false), null, a, b));
        expect(EngineException.class, "gatherRows", () -> BE.gatherRows(null, 4, 4, longs(0), 1, b));
        expect(EngineException.class, "dropoutMask", () -> BE.dropoutMask(1, 0, 0.5, null, 4));
        expect(EngineException.class, "gemm", () -> BE.gemm(false, false, 4, 4, 4, 1, null, MatrixRef.of(a, 4), 0, MatrixRef.of(b, 4), 1, Epilogue.NONE));
        expect(EngineException.class, "elementwise", () -> BE.elementwise(RELU, new BufferView[]{null}, BufferView.of(b, 16)));
        expect(EngineException.class, "copyIn", () -> BE.copyIn((float[]) null, 0, a, 0, 4));
        expect(EngineException.class, "copyOut", () -> BE.copyOut(a, 0, (double[]) null, 0, 4));
        expect(EngineException.class, "sgdStep", () -> BE.sgdStep(new Buffer[]{a}, new Buffer[]{null}, null, new OptimizerHyperparams.Sgd(0.1, 0, 0, 0, false)));
        stillWorks();
    }

    @Test
    void unsafeBenchmarkHelperIsCheckedToo() {
        CpuBackend cpu = (CpuBackend) BE;
        Buffer a = alloc(DType.F32, 4), c = alloc(DType.F32, 4);
        expect(ShapeException.class, "sgemmUnchecked", () -> cpu.sgemmUnchecked(4, 4, 4, a, a, c));
        expect(DTypeException.class, "sgemmUnchecked", () -> cpu.sgemmUnchecked(2, 2, 2, alloc(DType.F64, 4), a, c));
        cpu.sgemmUnchecked(2, 2, 1, buf(DType.F32, new double[]{1, 2}), buf(DType.F32, new double[]{3, 4}), c);
        assertArrayEquals(new double[]{3, 4, 6, 8}, read(c), 0);
    }
}
