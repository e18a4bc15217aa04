package dev.engine.api.contract;

import static dev.engine.api.contract.BackendContract.test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.Layout;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;

/** Strided copy: every view kind on either side, casts, empty and scalar shapes. */
final class CopyContract {
    private CopyContract() {}

    /** Copies src viewed through {@code sl} into a NaN-filled dst viewed through {@code dl}; checks every dst element. */
    private static void check(Fx f, DType st, DType dtt, double[] src, Layout sl, int dstLen, Layout dl) {
        Buffer s = f.buf(st, src), d = f.alloc(dtt, dstLen);
        double[] before = f.read(d);
        f.be.copy(new BufferView(s, sl), new BufferView(d, dl));
        double[] want = Ref.scatter(before, dl, Ref.gather(src, sl));
        assertArrayEquals(want, f.read(d), 0, st + " -> " + dtt + " " + sl + " -> " + dl);
    }

    static List<DynamicTest> tests(Backend be) {
        return List.of(
                test(be, "contiguous, every dtype", f -> {
                    for (DType dt : new DType[]{DType.F32, DType.F64, DType.I32, DType.I64})
                        check(f, dt, dt, new double[]{1, -2, 3, 4, 5, 6}, Layout.contiguous(2, 3), 6, Layout.contiguous(2, 3));
                }),
                test(be, "transposed source", f -> {
                    for (DType dt : Fx.FLOATS)
                        check(f, dt, dt, f.random(dt, 12), Layout.contiguous(3, 4).transpose(0, 1), 12, Layout.contiguous(4, 3));
                }),
                test(be, "strided slice with an offset into a transposed destination", f -> {
                    Layout src = Layout.contiguous(4, 6).slice(1, 1, 6, 2).narrow(0, 1, 3);   // 3 x 3, stride 2, offset 7
                    for (DType dt : Fx.FLOATS) check(f, dt, dt, f.random(dt, 24), src, 9, Layout.contiguous(3, 3).transpose(0, 1));
                }),
                test(be, "broadcast source (stride 0)", f -> {
                    for (DType dt : Fx.FLOATS)
                        check(f, dt, dt, new double[]{1, 2, 3}, Layout.contiguous(1, 3).broadcastTo(new long[]{4, 3}), 12, Layout.contiguous(4, 3));
                }),
                test(be, "casts F32 <-> F64 and I32 -> I64", f -> {
                    check(f, DType.F32, DType.F64, new double[]{0.5, -1.25, 3}, Layout.contiguous(3), 3, Layout.contiguous(3));
                    check(f, DType.F64, DType.F32, new double[]{0.5, -1.25, 3}, Layout.contiguous(3), 3, Layout.contiguous(3));
                    check(f, DType.I32, DType.I64, new double[]{7, -8, 9}, Layout.contiguous(3), 3, Layout.contiguous(3));
                }),
                test(be, "rank 3 with batch", f -> {
                    Layout src = Layout.contiguous(2, 3, 4).permute(2, 0, 1);
                    for (DType dt : Fx.FLOATS) check(f, dt, dt, f.random(dt, 24), src, 24, Layout.contiguous(4, 2, 3));
                }),
                test(be, "one element and a rank-0 scalar", f -> {
                    check(f, DType.F32, DType.F32, new double[]{9, 8}, Layout.contiguous(1).withOffset(1), 1, Layout.contiguous(1));
                    check(f, DType.F64, DType.F64, new double[]{4}, Layout.contiguous(), 1, Layout.contiguous());
                }),
                test(be, "empty shapes write nothing", f -> {
                    check(f, DType.F32, DType.F32, new double[]{1, 2}, Layout.contiguous(0, 2), 2, Layout.contiguous(0, 2));
                    Buffer s = f.buf(DType.F32, 1), d = f.buf(DType.F32, 5);
                    f.be.copy(new BufferView(s, Layout.contiguous(3, 0)), new BufferView(d, Layout.contiguous(3, 0)));
                    assertArrayEquals(new double[]{5}, f.read(d), 0);
                }));
    }
}
