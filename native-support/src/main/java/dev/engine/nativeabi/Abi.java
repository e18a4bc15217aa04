package dev.engine.nativeabi;

import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.ReduceOp;
import java.util.ArrayList;
import java.util.List;

/**
 * The Java side of {@code native/common/abi.h} in one table: what {@code engine_abi_table()} must return,
 * rebuilt from the Java constants (dtype codes, {@link ElementwiseOp} codes and arities, {@link ReduceOp}
 * codes, pool kinds, optimizer rules, statuses, and the int64 size of every fixed argument block
 * {@link ArgBlocks} writes). Each native backend's tests compare the two, so a number changed on one side
 * only fails the build.
 *
 * <pre>{@code
 * assertArrayEquals(Abi.expectedTable(), nativeTable);
 * }</pre>
 */
public final class Abi {
    private Abi() {}

    public static final long VERSION = 6;
    /** Room the native side may fill (abi.h ABI_TABLE_CAPACITY). */
    public static final int TABLE_CAPACITY = 256;

    // int64 slots of the fixed blocks, in abi.h's struct order
    public static final int GEMM_ARGS = 24, PACKED_GEMM_ARGS = 13, CONV_FORWARD_ARGS = 20, CONV_BACKWARD_INPUT_ARGS = 18,
            CONV_BACKWARD_WEIGHT_ARGS = 19, POOL_ARGS = 16, BATCH_NORM_FORWARD_ARGS = 15, BATCH_NORM_BACKWARD_ARGS = 12,
            OPTIMIZER_ARGS = 10, OPTIMIZER_TENSOR = 5, ATTENTION_ARGS = 26, INT8_GEMM_ARGS = 16, CONV_INT8_ARGS = 22;

    /** The highest rank of a strided operand. */
    public static final int MAX_DIMS = 16;

    public static long[] expectedTable() {
        List<Long> t = new ArrayList<>();
        t.add(VERSION);
        for (int c : new int[]{DTypeCodes.F32, DTypeCodes.F64, DTypeCodes.I32, DTypeCodes.I64, DTypeCodes.BF16, DTypeCodes.F16}) t.add((long) c);
        t.add((long) MAX_DIMS);
        t.add((long) ElementwiseProgram.INSTRUCTION_INTS);
        for (int s : new int[]{NativeStatus.OK, NativeStatus.OUT_OF_MEMORY, NativeStatus.INTERNAL}) t.add((long) s);
        for (ReduceOp op : ReduceOp.values()) t.add((long) op.code());
        for (int k : new int[]{ArgBlocks.POOL_MAX, ArgBlocks.POOL_MAX_BACKWARD, ArgBlocks.POOL_AVG, ArgBlocks.POOL_AVG_BACKWARD}) t.add((long) k);
        for (int r : new int[]{ArgBlocks.OPTIM_SGD, ArgBlocks.OPTIM_ADAM, ArgBlocks.OPTIM_RMSPROP}) t.add((long) r);
        for (int s : new int[]{GEMM_ARGS, PACKED_GEMM_ARGS, CONV_FORWARD_ARGS, CONV_BACKWARD_INPUT_ARGS, CONV_BACKWARD_WEIGHT_ARGS, POOL_ARGS,
                BATCH_NORM_FORWARD_ARGS, BATCH_NORM_BACKWARD_ARGS, OPTIMIZER_ARGS, OPTIMIZER_TENSOR, ATTENTION_ARGS, INT8_GEMM_ARGS,
                CONV_INT8_ARGS}) t.add((long) s);
        t.add((long) ElementwiseOp.values().length);
        for (ElementwiseOp op : ElementwiseOp.values()) {
            t.add((long) op.code());
            t.add((long) op.arity());
        }
        return t.stream().mapToLong(Long::longValue).toArray();
    }
}
