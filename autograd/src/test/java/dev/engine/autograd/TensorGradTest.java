package dev.engine.autograd;

import static dev.engine.autograd.GradCheck.assertGradients;
import static dev.engine.autograd.GradCheck.random;
import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Finite-difference gradient checks (F64) for every differentiable tensor op, incl. broadcast and views. */
class TensorGradTest {
    private static void unary(Function<Tensor, Tensor> f, double[] x, long... shape) {
        assertGradients(in -> f.apply(in[0]), new double[][]{x}, new long[][]{shape});
    }

    private static double[] positive(long seed, int n) {
        double[] v = random(seed, n);
        for (int i = 0; i < n; i++) v[i] = Math.abs(v[i]) + 0.2;
        return v;
    }

    private static double[] awayFromZero(long seed, int n) {
        double[] v = random(seed, n);
        for (int i = 0; i < n; i++) v[i] = v[i] + Math.signum(v[i]) * 0.1 + (v[i] == 0 ? 0.3 : 0);
        return v;
    }

    @Test void unaryOps() {
        unary(Tensor::neg, random(1, 6), 2, 3);
        unary(Tensor::exp, random(2, 6), 2, 3);
        unary(Tensor::log, positive(3, 6), 2, 3);
        unary(Tensor::sqrt, positive(4, 6), 2, 3);
        unary(Tensor::rsqrt, positive(5, 6), 2, 3);
        unary(Tensor::abs, awayFromZero(6, 6), 2, 3);
        unary(Tensor::square, random(7, 6), 2, 3);
        unary(Tensor::reciprocal, positive(8, 6), 2, 3);
        unary(Tensor::relu, awayFromZero(9, 6), 2, 3);
        unary(t -> t.leakyRelu(0.1), awayFromZero(10, 6), 2, 3);
        unary(Tensor::gelu, random(11, 6), 2, 3);
        unary(Tensor::geluTanh, random(12, 6), 2, 3);
        unary(Tensor::sigmoid, random(13, 6), 2, 3);
        unary(Tensor::tanh, random(14, 6), 2, 3);
        unary(Tensor::softplus, random(15, 6), 2, 3);
        unary(t -> t.pow(3), random(16, 6), 2, 3);
        unary(t -> t.add(2).mul(3).sub(1).div(2).rsub(1), random(17, 6), 2, 3);
        unary(Tensor::sin, random(18, 6), 2, 3);
        unary(Tensor::cos, random(19, 6), 2, 3);
        unary(t -> t.clamp(-0.5, 0.5), new double[]{-0.9, -0.3, 0.1, 0.4, 0.7, 0.2}, 2, 3);
        // points on both sides of each kink (0 and 6; -3 and 3), none on one
        unary(Tensor::relu6, new double[]{-1.5, -0.2, 0.3, 2.5, 5.8, 7.1}, 2, 3);
        unary(Tensor::hardswish, new double[]{-4.2, -2.9, -0.6, 0.4, 2.8, 3.3}, 2, 3);
        unary(Tensor::silu, random(20, 6), 2, 3);
    }

    @Test void binaryOpsWithBroadcast() {
        double[] a = random(20, 12), b = random(21, 4);
        long[][] shapes = {{3, 4}, {4}};
        assertGradients(in -> in[0].add(in[1]), new double[][]{a, b}, shapes);
        assertGradients(in -> in[0].sub(in[1]), new double[][]{a, b}, shapes);
        assertGradients(in -> in[0].mul(in[1]), new double[][]{a, b}, shapes);
        assertGradients(in -> in[0].div(in[1]), new double[][]{a, awayFromZero(22, 4)}, shapes);
        assertGradients(in -> in[0].maximum(in[1]), new double[][]{a, b}, shapes);
        assertGradients(in -> in[0].minimum(in[1]), new double[][]{a, b}, shapes);
        assertGradients(in -> in[0].pow(in[1]), new double[][]{positive(23, 12), b}, shapes);
        // column broadcast [3,1] against [1,4]
        assertGradients(in -> in[0].mul(in[1]), new double[][]{random(24, 3), random(25, 4)}, new long[][]{{3, 1}, {1, 4}});
    }

    @Test void whereAndComparisonMasks() {
        double[] c = {1, 0, 1, 0, 0, 1};
        assertGradients(in -> Tensor.where(Tensor.of(c, 2, 3), in[0], in[1]), new double[][]{random(26, 6), random(27, 3)},
                new long[][]{{2, 3}, {3}});
    }

    @Test void reductions() {
        double[] x = random(30, 24);
        long[] s = {2, 3, 4};
        unary(Tensor::sum, x, s);
        unary(t -> t.sum(1, false), x, s);
        unary(t -> t.sum(new int[]{0, 2}, true), x, s);
        unary(Tensor::mean, x, s);
        unary(t -> t.mean(-1, true), x, s);
        unary(t -> t.max(1, false), x, s);
        unary(t -> t.min(2, true), x, s);
        unary(t -> t.var(1, false), x, s);
        unary(t -> t.std(2, true), x, s);
        unary(t -> t.var(new int[]{0, 1, 2}, false, false), x, s);
    }

    @Test void softmaxAndLogSoftmaxOnEveryAxis() {
        double[] x = random(31, 24);
        for (int axis = 0; axis < 3; axis++) {
            int a = axis;
            unary(t -> t.softmax(a), x, 2, 3, 4);
            unary(t -> t.logSoftmax(a), x, 2, 3, 4);
        }
    }

    @Test void matmulShapes() {
        assertGradients(in -> in[0].matmul(in[1]), new double[][]{random(40, 6), random(41, 12)}, new long[][]{{2, 3}, {3, 4}});
        assertGradients(in -> in[0].matmul(in[1]), new double[][]{random(42, 24), random(43, 12)}, new long[][]{{2, 4, 3}, {3, 4}});
        assertGradients(in -> in[0].matmul(in[1]), new double[][]{random(44, 24), random(45, 24)}, new long[][]{{2, 3, 4}, {2, 4, 3}});
        // broadcast batch: [2,1,2,3] @ [3,3,2]
        assertGradients(in -> in[0].matmul(in[1]), new double[][]{random(46, 12), random(47, 18)}, new long[][]{{2, 1, 2, 3}, {3, 3, 2}});
        // transposed operands and vectors
        assertGradients(in -> in[0].t().matmul(in[1].t()), new double[][]{random(48, 6), random(49, 6)}, new long[][]{{3, 2}, {2, 3}});
        assertGradients(in -> in[0].matmul(in[1]), new double[][]{random(50, 3), random(51, 12)}, new long[][]{{3}, {3, 4}});
        assertGradients(in -> in[0].matmul(in[1]), new double[][]{random(52, 12), random(53, 4)}, new long[][]{{3, 4}, {4}});
    }

    @Test void linearFusedBias() {
        assertGradients(in -> Functional.linear(in[0], in[1], in[2]), new double[][]{random(54, 24), random(55, 15), random(56, 5)},
                new long[][]{{2, 4, 3}, {5, 3}, {5}});
    }

    @Test void views() {
        double[] x = random(60, 24);
        long[] s = {2, 3, 4};
        unary(t -> t.reshape(4, 6).mul(t.reshape(4, 6)), x, s);
        unary(t -> t.permute(2, 0, 1).exp(), x, s);
        unary(t -> t.transpose(0, 2).reshape(-1), x, s);  // reshape of a non-contiguous view copies
        unary(t -> t.narrow(1, 1, 2).square(), x, s);
        unary(t -> t.slice(2, 0, 4, 2).square(), x, s);
        unary(t -> t.select(0, 1).tanh(), x, s);
        unary(t -> t.unsqueeze(1).squeeze(1).sum(0, false), x, s);
        unary(t -> t.sum(1, true).expand(2, 3, 4).mul(t), x, s);
        unary(t -> t.flatten(1, 2).sigmoid(), x, s);
    }

    @Test void joinsAndIndexing() {
        assertGradients(in -> Tensor.cat(List.of(in[0], in[1]), 1).square(), new double[][]{random(70, 6), random(71, 4)},
                new long[][]{{2, 3}, {2, 2}});
        assertGradients(in -> Tensor.stack(List.of(in[0], in[1]), 0).exp(), new double[][]{random(72, 6), random(73, 6)},
                new long[][]{{2, 3}, {2, 3}});
        Tensor idx = Tensor.ofLongs(new long[]{2, 0, 2, 1}, 4);
        assertGradients(in -> in[0].indexSelect(0, idx).square(), new double[][]{random(74, 12)}, new long[][]{{3, 4}});
        assertGradients(in -> in[0].indexSelect(1, idx.narrow(0, 0, 3)).square(), new double[][]{random(75, 12)}, new long[][]{{4, 3}});
    }

    @Test void sharedSubexpressionsAndReuse() {
        // y = x*x + x used twice; z = y * sigmoid(y)
        unary(t -> {
            Tensor y = t.mul(t).add(t);
            return y.mul(y.sigmoid()).sum(0, false);
        }, random(80, 6), 2, 3);
        assertGradients(in -> in[0].matmul(in[0].t()).add(in[0].sum(1, true)), new double[][]{random(81, 6)}, new long[][]{{2, 3}});
    }

    @Test void castAndCopyAreDifferentiable() {
        // an F32 round trip loses the 1e-6 step: use a coarse step on this linear function
        assertGradients(in -> in[0].to(dev.engine.api.DType.F32).to(dev.engine.api.DType.F64).mul(2), new double[][]{random(90, 4)},
                new long[][]{{4}}, 1e-2, 1e-4, 1e-3);
        unary(t -> t.transpose(0, 1).contiguous().exp(), random(91, 6), 2, 3);
    }
}
