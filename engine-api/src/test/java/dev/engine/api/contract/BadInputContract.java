package dev.engine.api.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import dev.engine.api.Activation;
import dev.engine.api.Backend;
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
import dev.engine.api.PackedMatrix;
import dev.engine.api.Pool2dShape;
import dev.engine.api.ReduceOp;
import dev.engine.api.ShapeException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.DynamicTest;

/**
 * Every bad input raises exactly the expected {@link EngineException} subclass with exactly the expected
 * message, on every backend (the checks live once, in {@link dev.engine.api.CheckedBackend}), and leaves
 * no native call behind it: each case's output buffers are checked untouched where that matters.
 */
final class BadInputContract {
    private BadInputContract() {}

    /** A bad call and the exception it must raise. */
    private record Case(String name, Class<? extends EngineException> type, String message, Consumer<Fx> call) {}

    private static final List<Case> CASES = new ArrayList<>();

    private static void bad(String name, Class<? extends EngineException> type, String message, Consumer<Fx> call) {
        CASES.add(new Case(name, type, message, call));
    }

    static {
        // the drift cases of issue 13: a stride-0 output and null inputs
        Layout bcast = Layout.contiguous(1, 3).broadcastTo(new long[]{2, 3});
        bad("copy into a stride-0 output view", ShapeException.class,
                "copy: dst " + bcast + " is a broadcast view (stride 0 in dim 0); outputs must not overlap",
                f -> f.be.copy(BufferView.of(f.alloc(DType.F32, 6), 2, 3), new BufferView(f.alloc(DType.F32, 3), bcast)));
        bad("elementwise into a stride-0 output view", ShapeException.class,
                "elementwise: out " + bcast + " is a broadcast view (stride 0 in dim 0); outputs must not overlap",
                f -> f.be.elementwise(ElementwiseProgram.single(ElementwiseOp.RELU, 0), new BufferView[]{BufferView.of(f.alloc(DType.F32, 6), 2, 3)},
                        new BufferView(f.alloc(DType.F32, 3), bcast)));
        bad("gemm batches writing one C (batch stride 0)", ShapeException.class,
                "gemm: C batch stride 0 overlaps its 2 x 2 matrices (ld 2); outputs must not overlap",
                f -> f.be.gemm(false, false, 2, 2, 2, 1, new MatrixRef(f.alloc(DType.F32, 8), 0, 2, 4), new MatrixRef(f.alloc(DType.F32, 8), 0, 2, 4), 0,
                        new MatrixRef(f.alloc(DType.F32, 4), 0, 2, 0), 2, Epilogue.NONE));
        bad("gemm with a null A", EngineException.class, "gemm: A is null",
                f -> f.be.gemm(false, false, 2, 2, 2, 1, null, MatrixRef.of(f.alloc(DType.F32, 4), 2), 0, MatrixRef.of(f.alloc(DType.F32, 4), 2), 1, null));
        bad("gemm with a null B", EngineException.class, "gemm: B is null",
                f -> f.be.gemm(false, false, 2, 2, 2, 1, MatrixRef.of(f.alloc(DType.F32, 4), 2), null, 0, MatrixRef.of(f.alloc(DType.F32, 4), 2), 1, null));
        bad("gemm with a null C", EngineException.class, "gemm: C is null",
                f -> f.be.gemm(false, false, 2, 2, 2, 1, MatrixRef.of(f.alloc(DType.F32, 4), 2), MatrixRef.of(f.alloc(DType.F32, 4), 2), 0, null, 1, null));
        bad("bias-gradient epilogue on a batch", ShapeException.class, "gemm: the bias-gradient epilogue takes batch 1, got batch 2",
                f -> f.be.gemm(false, false, 2, 2, 2, 1, new MatrixRef(f.alloc(DType.F32, 8), 0, 2, 4), new MatrixRef(f.alloc(DType.F32, 8), 0, 2, 4), 0,
                        new MatrixRef(f.alloc(DType.F32, 8), 0, 2, 4), 2, Epilogue.biasGradient(f.alloc(DType.F32, 2))));
        bad("bias-gradient epilogue with a bias", EngineException.class,
                "gemm: the bias-gradient epilogue combines with no bias, residual or activation",
                f -> f.be.gemm(false, false, 2, 2, 2, 1, MatrixRef.of(f.alloc(DType.F32, 4), 2), MatrixRef.of(f.alloc(DType.F32, 4), 2), 0,
                        MatrixRef.of(f.alloc(DType.F32, 4), 2), 1, new Epilogue(null, null, Activation.RELU, 0, f.alloc(DType.F32, 2))));
        bad("bias-gradient output too short", ShapeException.class, "gemmRounded: bias gradient holds 2 elements, needs 3",
                f -> f.be.gemmRounded(DType.BF16, true, false, 3, 2, 2, 1, MatrixRef.of(f.alloc(DType.F32, 6), 3), MatrixRef.of(f.alloc(DType.F32, 4), 2),
                        0, MatrixRef.of(f.alloc(DType.F32, 6), 2), 1, Epilogue.biasGradient(f.alloc(DType.F32, 2))));
        bad("bias-gradient output of another dtype", DTypeException.class, "gemm: bias gradient has dtype F32, expected F64",
                f -> f.be.gemm(false, false, 2, 2, 2, 1, MatrixRef.of(f.alloc(DType.F64, 4), 2), MatrixRef.of(f.alloc(DType.F64, 4), 2), 0,
                        MatrixRef.of(f.alloc(DType.F64, 4), 2), 1, Epilogue.biasGradient(f.alloc(DType.F32, 2))));
        bad("gemmPacked with a bias-gradient epilogue", EngineException.class, "gemmPacked: the bias-gradient epilogue is for gemm and gemmRounded only",
                f -> {
                    try (PackedMatrix p = f.be.packMatrix(f.alloc(DType.F32, 4), 2, 2)) {
                        f.be.gemmPacked(2, MatrixRef.of(f.alloc(DType.F32, 4), 2), p, MatrixRef.of(f.alloc(DType.F32, 4), 2),
                                Epilogue.biasGradient(f.alloc(DType.F32, 2)));
                    }
                });
        bad("gemmRounded to F32", DTypeException.class, "gemmRounded: operands round to BF16 or F16, not F32",
                f -> f.be.gemmRounded(DType.F32, false, false, 2, 2, 2, 1, MatrixRef.of(f.alloc(DType.F32, 4), 2), MatrixRef.of(f.alloc(DType.F32, 4), 2),
                        0, MatrixRef.of(f.alloc(DType.F32, 4), 2), 1, null));
        bad("gemmRounded with no precision", DTypeException.class, "gemmRounded: operands round to BF16 or F16, not null",
                f -> f.be.gemmRounded(null, false, false, 2, 2, 2, 1, MatrixRef.of(f.alloc(DType.F32, 4), 2), MatrixRef.of(f.alloc(DType.F32, 4), 2),
                        0, MatrixRef.of(f.alloc(DType.F32, 4), 2), 1, null));
        bad("gemmRounded on F64", DTypeException.class, "gemmRounded: operands and C must be F32, got C F64",
                f -> f.be.gemmRounded(DType.BF16, false, false, 2, 2, 2, 1, MatrixRef.of(f.alloc(DType.F64, 4), 2), MatrixRef.of(f.alloc(DType.F64, 4), 2),
                        0, MatrixRef.of(f.alloc(DType.F64, 4), 2), 1, null));
        bad("gemmRounded with a null A", EngineException.class, "gemmRounded: A is null",
                f -> f.be.gemmRounded(DType.F16, false, false, 2, 2, 2, 1, null, MatrixRef.of(f.alloc(DType.F32, 4), 2), 0,
                        MatrixRef.of(f.alloc(DType.F32, 4), 2), 1, null));
        String half = " (BF16/F16 buffers are storage: copies, elementwise programs and reductions; cast to F32 for this op)";
        bad("gemm on BF16 buffers", DTypeException.class, "gemm: C has dtype BF16, expected F32 or F64" + half,
                f -> f.be.gemm(false, false, 2, 2, 2, 1, MatrixRef.of(f.alloc(DType.BF16, 4), 2), MatrixRef.of(f.alloc(DType.BF16, 4), 2), 0,
                        MatrixRef.of(f.alloc(DType.BF16, 4), 2), 1, null));
        bad("softmax on F16", DTypeException.class, "softmax: x has dtype F16, expected F32 or F64" + half,
                f -> f.be.softmax(f.alloc(DType.F16, 4), f.alloc(DType.F16, 4), 2, 2, false));
        bad("gatherRows of BF16 rows", DTypeException.class, "gatherRows: dtype BF16 is not taken here" + half,
                f -> f.be.gatherRows(f.alloc(DType.BF16, 4), 2, 2, f.longs(0), 1, f.alloc(DType.BF16, 2)));
        bad("a BF16 to I64 copy", DTypeException.class, "copy: BF16 to I64: BF16 / F16 convert to and from floating dtypes only",
                f -> f.be.copy(BufferView.of(f.alloc(DType.BF16, 3), 3), BufferView.of(f.alloc(DType.I64, 3), 3)));
        bad("copyIn of floats into a BF16 buffer", DTypeException.class, null,
                f -> f.be.copyIn(new float[2], 0, f.alloc(DType.BF16, 2), 0, 2));
        bad("softmax with a null x", EngineException.class, "softmax: x is null", f -> f.be.softmax(null, f.alloc(DType.F32, 4), 2, 2, false));
        bad("softmax with a null out", EngineException.class, "softmax: out is null", f -> f.be.softmax(f.alloc(DType.F32, 4), null, 2, 2, false));
        bad("softmaxBackward with a null gy", EngineException.class, "softmaxBackward: gy is null",
                f -> f.be.softmaxBackward(f.alloc(DType.F32, 4), null, f.alloc(DType.F32, 4), 2, 2, false));
        bad("layerNorm with a null x", EngineException.class, "layerNorm: x is null",
                f -> f.be.layerNormForward(null, null, null, 2, 2, 1e-5, f.alloc(DType.F32, 4), f.alloc(DType.F32, 2), f.alloc(DType.F32, 2)));
        bad("layerNorm with a null mean", EngineException.class, "layerNorm: mean is null",
                f -> f.be.layerNormForward(f.alloc(DType.F32, 4), null, null, 2, 2, 1e-5, f.alloc(DType.F32, 4), null, f.alloc(DType.F32, 2)));
        bad("layerNormBackward with a null gx", EngineException.class, "layerNormBackward: gx is null",
                f -> f.be.layerNormBackward(f.alloc(DType.F32, 4), f.alloc(DType.F32, 4), null, f.alloc(DType.F32, 2), f.alloc(DType.F32, 2), 2, 2, null,
                        null, null));
        bad("batchNorm with a null x", EngineException.class, "batchNorm: x is null",
                f -> f.be.batchNormForward(null, null, null, null, null, 2, 1, 2, true, 0.1, 1e-5, f.alloc(DType.F32, 4), null, null));
        bad("conv2d with a null weight", EngineException.class, "conv2d: weight is null",
                f -> f.be.conv2dForward(new Conv2dShape(1, 1, 3, 3, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1), f.alloc(DType.F32, 9), null, null, null, f.alloc(DType.F32, 1)));
        bad("maxPool2d with a null y", EngineException.class, "maxPool2d: y is null",
                f -> f.be.maxPool2dForward(new Pool2dShape(1, 1, 2, 2, 2, 2, 2, 2, 0, 0, false), f.alloc(DType.F32, 4), null, null));
        bad("crossEntropy with null targets", EngineException.class, "crossEntropy: targets is null",
                f -> f.be.crossEntropy(f.alloc(DType.F32, 4), null, null, 2, 2, 0, -100, f.alloc(DType.F32, 2), f.alloc(DType.F32, 2), null));
        bad("gatherRows with null indices", EngineException.class, "gatherRows: indices is null",
                f -> f.be.gatherRows(f.alloc(DType.F32, 4), 2, 2, null, 1, f.alloc(DType.F32, 2)));
        bad("dropoutMask with a null mask", EngineException.class, "dropoutMask: mask is null", f -> f.be.dropoutMask(1, 0, 0.5, null, 4));
        bad("sgdStep with null params", EngineException.class, "sgdStep: params or grads are null",
                f -> f.be.sgdStep(null, new Buffer[0], null, new OptimizerHyperparams.Sgd(0.1, 0, 0, 0, false)));
        bad("adamStep with null hyperparameters", EngineException.class, "adamStep: hyperparameters are null",
                f -> f.be.adamStep(new Buffer[0], new Buffer[0], new Buffer[0], new Buffer[0], null));
        bad("copyIn from a null array", EngineException.class, "copyIn: the Java array is null", f -> f.be.copyIn((float[]) null, 0, f.alloc(DType.F32, 2), 0, 2));
        bad("elementwise with a null program", EngineException.class, "elementwise: program or inputs are null",
                f -> f.be.elementwise(null, new BufferView[0], BufferView.of(f.alloc(DType.F32, 2), 2)));
        bad("gemmPacked with a null packed B", EngineException.class, "gemmPacked: packed B is null",
                f -> f.be.gemmPacked(1, MatrixRef.of(f.alloc(DType.F32, 2), 2), null, MatrixRef.of(f.alloc(DType.F32, 2), 2), null));
        bad("conv2dForwardPacked with a null weight", EngineException.class, "conv2dForwardPacked: packed weight is null",
                f -> f.be.conv2dForwardPacked(new Conv2dShape(1, 1, 3, 3, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1), f.alloc(DType.F32, 9), null, null, null,
                        f.alloc(DType.F32, 1)));

        // shapes and sizes
        bad("softmax with a negative size", ShapeException.class, "softmax: size = -1 is negative", f -> f.be.softmax(f.alloc(DType.F32, 4), f.alloc(DType.F32, 4), -1, 2, false));
        bad("softmax out too small", ShapeException.class, "softmax: out holds 5 elements, needs 6",
                f -> f.be.softmax(f.alloc(DType.F32, 6), f.alloc(DType.F32, 5), 2, 3, false));
        bad("copy of different shapes", ShapeException.class, "copy: src has shape [2, 3] but dst has shape [3, 2]",
                f -> f.be.copy(BufferView.of(f.alloc(DType.F32, 6), 2, 3), BufferView.of(f.alloc(DType.F32, 6), 3, 2)));
        bad("a view reaching outside its buffer", ShapeException.class,
                "copy: src " + Layout.contiguous(2, 3).withOffset(1) + " reaches elements [1, 6] outside its buffer of 6",
                f -> f.be.copy(new BufferView(f.alloc(DType.F32, 6), Layout.contiguous(2, 3).withOffset(1)), BufferView.of(f.alloc(DType.F32, 6), 2, 3)));
        bad("a view of rank 17", ShapeException.class, "copy: rank 17 of src exceeds 16",
                f -> f.be.copy(BufferView.of(f.alloc(DType.F32, 1), new long[17]), BufferView.of(f.alloc(DType.F32, 1), 1)));
        bad("elementwise with the wrong input count", EngineException.class, "elementwise: program expects 2 inputs, got 1",
                f -> f.be.elementwise(ElementwiseProgram.single(ElementwiseOp.ADD, 0), new BufferView[]{BufferView.of(f.alloc(DType.F32, 2), 2)},
                        BufferView.of(f.alloc(DType.F32, 2), 2)));
        bad("elementwise input of another shape", ShapeException.class,
                "elementwise: input 0 has shape [3] but the output has shape [2] (broadcast inputs first)",
                f -> f.be.elementwise(ElementwiseProgram.single(ElementwiseOp.RELU, 0), new BufferView[]{BufferView.of(f.alloc(DType.F32, 3), 3)},
                        BufferView.of(f.alloc(DType.F32, 2), 2)));
        bad("gemm with a leading dimension below the columns", ShapeException.class, "gemm: A leading dimension 2 < its 3 columns",
                f -> f.be.gemm(false, false, 2, 2, 3, 1, MatrixRef.of(f.alloc(DType.F32, 6), 2), MatrixRef.of(f.alloc(DType.F32, 6), 2), 0,
                        MatrixRef.of(f.alloc(DType.F32, 4), 2), 1, null));
        bad("gemm with a size beyond 32 bits", ShapeException.class, "gemm: size 4294967296 out of range in m=4294967296 n=1 k=1 batch=1",
                f -> f.be.gemm(false, false, 1L << 32, 1, 1, 1, MatrixRef.of(f.alloc(DType.F32, 1), 1), MatrixRef.of(f.alloc(DType.F32, 1), 1), 0,
                        MatrixRef.of(f.alloc(DType.F32, 1), 1), 1, null));
        bad("gemm bias too short", ShapeException.class, "gemm: bias holds 1 elements, needs 2",
                f -> f.be.gemm(false, false, 2, 2, 2, 1, MatrixRef.of(f.alloc(DType.F32, 4), 2), MatrixRef.of(f.alloc(DType.F32, 4), 2), 0,
                        MatrixRef.of(f.alloc(DType.F32, 4), 2), 1, Epilogue.of(f.alloc(DType.F32, 1), Activation.RELU)));
        bad("reduce over an axis twice", ShapeException.class, "reduce.SUM: axis -1 given twice",
                f -> f.be.reduce(ReduceOp.SUM, BufferView.of(f.alloc(DType.F32, 6), 2, 3), new int[]{1, -1}, f.alloc(DType.F32, 2)));
        bad("argmax over an empty axis", ShapeException.class, "reduce.ARGMAX: cannot reduce an empty axis",
                f -> f.be.reduce(ReduceOp.ARGMAX, BufferView.of(f.alloc(DType.F32, 1), 2, 0), new int[]{1}, f.alloc(DType.I64, 2)));
        bad("training batch norm with one value per channel", ShapeException.class,
                "batchNorm: training batch norm needs more than one value per channel, got n=1 x hw=1",
                f -> f.be.batchNormForward(f.alloc(DType.F32, 2), null, null, null, null, 1, 2, 1, true, 0.1, 1e-5, f.alloc(DType.F32, 2), null, null));
        bad("adaptive pooling to zero outputs", ShapeException.class, "adaptiveAvgPool2d: sizes 2x2 -> 0x1 must be positive",
                f -> f.be.adaptiveAvgPool2dForward(f.alloc(DType.F32, 4), f.alloc(DType.F32, 4), 1, 2, 2, 0, 1));
        bad("cross-entropy with no classes", ShapeException.class, "crossEntropy: logits have 0 classes",
                f -> f.be.crossEntropy(f.alloc(DType.F32, 1), f.longs(0), null, 1, 0, 0, -100, f.alloc(DType.F32, 1), f.alloc(DType.F32, 1), null));
        bad("packConvWeight with groups that do not divide", ShapeException.class, "packConvWeight: 3 filters of 4 values do not split into 2 groups",
                f -> f.be.packConvWeight(f.alloc(DType.F32, 12), 3, 4, 2));
        bad("allocate a negative length", ShapeException.class, "allocate: negative length -1 of F32", f -> f.be.allocate(DType.F32, -1));
        bad("copyOut past the buffer", ShapeException.class, "copyOut: buffer range [1, 3) outside buffer of 2",
                f -> f.be.copyOut(f.alloc(DType.F32, 2), 1, new float[2], 0, 2));

        // dtypes
        bad("softmax of integers", DTypeException.class, "softmax: x has dtype I32, expected F32 or F64",
                f -> f.be.softmax(f.alloc(DType.I32, 4), f.alloc(DType.I32, 4), 2, 2, false));
        bad("softmax into another dtype", DTypeException.class, "softmax: out has dtype F64, expected F32",
                f -> f.be.softmax(f.alloc(DType.F32, 4), f.alloc(DType.F64, 4), 2, 2, false));
        bad("elementwise inputs of mixed dtypes", DTypeException.class, "elementwise: input 0 is F64 but out is F32",
                f -> f.be.elementwise(ElementwiseProgram.single(ElementwiseOp.RELU, 0), new BufferView[]{BufferView.of(f.alloc(DType.F64, 2), 2)},
                        BufferView.of(f.alloc(DType.F32, 2), 2)));
        bad("gemm of integers", DTypeException.class, "gemm: C has dtype I64, expected F32 or F64",
                f -> f.be.gemm(false, false, 1, 1, 1, 1, MatrixRef.of(f.alloc(DType.I64, 1), 1), MatrixRef.of(f.alloc(DType.I64, 1), 1), 0,
                        MatrixRef.of(f.alloc(DType.I64, 1), 1), 1, null));
        bad("targets not I64", DTypeException.class, "crossEntropy: targets has dtype I32, expected I64",
                f -> f.be.crossEntropy(f.alloc(DType.F32, 4), f.alloc(DType.I32, 2), null, 2, 2, 0, -100, f.alloc(DType.F32, 2), f.alloc(DType.F32, 2), null));
        bad("a packed conv weight with F64 input", DTypeException.class, "conv2dForwardPacked: a packed weight is F32; x is F64", f -> {
            Conv2dShape g = new Conv2dShape(1, 1, 3, 3, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1);
            try (PackedMatrix w = f.be.packConvWeight(f.alloc(DType.F32, 9), 1, 9, 1)) {
                f.be.conv2dForwardPacked(g, f.alloc(DType.F64, 9), w, null, null, f.alloc(DType.F64, 1));
            }
        });

        // values, indices and lifecycle
        bad("gather with an index out of range", IndexOutOfRangeException.class, "gatherRows: index 5 at position 1 is outside [0, 3)",
                f -> f.be.gatherRows(f.alloc(DType.F32, 6), 3, 2, f.longs(0, 5), 2, f.alloc(DType.F32, 4)));
        bad("scatter with a negative index", IndexOutOfRangeException.class, "scatterAddRows: index -1 at position 0 is outside [0, 3)",
                f -> f.be.scatterAddRows(f.alloc(DType.F32, 2), f.longs(-1), 1, 2, f.alloc(DType.F32, 6), 3));
        bad("cross-entropy target out of range", IndexOutOfRangeException.class, "crossEntropy: target 7 at row 1 is outside [0, 3)",
                f -> f.be.crossEntropy(f.buf(DType.F32, 0, 0, 0, 0, 0, 0), f.longs(0, 7), null, 2, 3, 0, -100, f.alloc(DType.F32, 2), f.alloc(DType.F32, 2), null));
        bad("max-pool backward with an index outside the plane", IndexOutOfRangeException.class,
                "maxPool2dBackward: index at position 0 is outside the 2x2 plane",
                f -> f.be.maxPool2dBackward(new Pool2dShape(1, 1, 2, 2, 2, 2, 2, 2, 0, 0, false), f.alloc(DType.F32, 1), f.longs(4), f.alloc(DType.F32, 4)));
        bad("dropout probability above 1", EngineException.class, "dropoutMask: probability 1.5 outside [0, 1]",
                f -> f.be.dropoutMask(1, 0, 1.5, f.alloc(DType.F32, 4), 4));
        bad("label smoothing above 1", EngineException.class, "crossEntropy: label smoothing 2.0 outside [0, 1]",
                f -> f.be.crossEntropy(f.alloc(DType.F32, 4), f.longs(0, 1), null, 2, 2, 2, -100, f.alloc(DType.F32, 2), f.alloc(DType.F32, 2), null));
        bad("optimizer tensors of mismatched counts", EngineException.class, "sgdStep: 2 params but 1 grads",
                f -> f.be.sgdStep(new Buffer[]{f.alloc(DType.F32, 2), f.alloc(DType.F32, 2)}, new Buffer[]{f.alloc(DType.F32, 2)}, null,
                        new OptimizerHyperparams.Sgd(0.1, 0, 0, 0, false)));
        bad("adam without its second moments", EngineException.class, "adamStep: optimizer state buffers are missing",
                f -> f.be.adamStep(new Buffer[]{f.alloc(DType.F32, 2)}, new Buffer[]{f.alloc(DType.F32, 2)}, new Buffer[]{f.alloc(DType.F32, 2)}, null,
                        new OptimizerHyperparams.Adam(0.1, 0.9, 0.99, 1e-8, 0, false, 1)));
        bad("setThreads(0)", EngineException.class, "setThreads: thread count 0 must be in [1, 512]", f -> f.be.setThreads(0));
        bad("a packed matrix of another format", EngineException.class, null, f -> {
            try (PackedMatrix p = new PackedMatrix(f.be.allocate(DType.F32, 4), 2, 2, "bogus")) {
                f.be.gemmPacked(1, MatrixRef.of(f.alloc(DType.F32, 2), 2), p, MatrixRef.of(f.alloc(DType.F32, 2), 2), null);
            }
        });
    }

    private static final String CLOSED = "closed buffer";
    private static final String FOREIGN = "buffer of another backend";
    private static final String UNSUPPORTED = "an unsupported dtype";

    /** The cases whose message names the backend, its device or a buffer. */
    private static List<DynamicTest> backendCases(Backend be) {
        StubBackend other = new StubBackend("stub", 1, true);
        return List.of(
                dynamicTest(CLOSED, () -> {
                    try (Fx f = new Fx(be)) {
                        Buffer x = f.alloc(DType.F32, 4);
                        x.close();
                        String name = x.toString();
                        expect(f, ClosedBufferException.class, "softmax: x (" + name + ") was already closed",
                                g -> g.be.softmax(x, g.alloc(DType.F32, 4), 2, 2, false));
                    }
                }),
                dynamicTest(FOREIGN, () -> {
                    try (Fx f = new Fx(be)) {
                        Buffer alien = other.foreignBuffer(DType.F32, 4);
                        expect(f, DeviceException.class, "softmax: x belongs to backend stub on stub:0 but the op runs on backend " + be + " on " + be.device(),
                                g -> g.be.softmax(alien, g.alloc(DType.F32, 4), 2, 2, false));
                    }
                }),
                dynamicTest(UNSUPPORTED, () -> {
                    try (Fx f = new Fx(be)) {
                        DType odd = DType.I8;
                        expect(f, DTypeException.class, "allocate: the " + be.name() + " backend does not support dtype " + odd, g -> g.be.allocate(odd, 4));
                    }
                }));
    }

    private static void expect(Fx f, Class<? extends EngineException> type, String message, Consumer<Fx> call) {
        EngineException e = assertThrows(EngineException.class, () -> call.accept(f));
        assertEquals(type, e.getClass(), "exception class; message: " + e.getMessage());
        if (message != null) assertEquals(message, e.getMessage());
    }

    static List<DynamicTest> tests(Backend be) {
        List<DynamicTest> out = new ArrayList<>();
        for (Case c : CASES)
            out.add(dynamicTest(c.name(), () -> {
                try (Fx f = new Fx(be)) {
                    expect(f, c.type(), c.message(), c.call());
                }
            }));
        out.addAll(backendCases(be));
        return out;
    }
}
