package dev.engine.inference;

import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import java.util.Arrays;

/**
 * Post-training int8 quantisation of a frozen model's Linear layers and convolutions (groups 1; Linear layers
 * only with {@link #excludingConvolutions()}), passed to
 * {@link FreezeOptions#quantize}: weights symmetric int8 per output channel, the input of each layer uint8
 * per tensor, either {@linkplain #int8Dynamic() dynamic} (scale and zero point from each call's input) or
 * {@linkplain #int8Static(float[][]) static} (calibrated once on rows the caller passes, through an
 * {@link Observer}). Everything else stays F32; the (de)quantisation happens inside the int8 GEMM and its
 * epilogue. A static model's graph exports to ONNX as QDQ with these very scales ({@link OnnxExporter}).
 * {@link #bf16()} instead runs the Linear layers in bfloat16 (weights rounded once, inputs per
 * call, F32 sums), needing no calibration.
 *
 * <pre>{@code
 * FrozenModel q = Freezer.freeze(model, Tensor.zeros(1, 64),
 *         FreezeOptions.defaults().quantize(Quantization.int8Static(calibrationRows).observer(Observer.percentile(99.99))));
 * FrozenModel b = Freezer.freeze(model, Tensor.zeros(1, 64), FreezeOptions.defaults().quantize(Quantization.bf16()));
 * }</pre>
 */
public final class Quantization {
    /** How a calibrated layer input's range is chosen from the values seen. */
    public static final class Observer {
        private final double percentile;

        private Observer(double percentile) { this.percentile = percentile; }

        /** The smallest and largest value seen. */
        public static Observer minMax() { return new Observer(100); }

        /**
         * The {@code 100 - p} and {@code p} percentiles of the values seen (e.g. 99.99): rare outliers are
         * clipped so the common values get finer steps.
         */
        public static Observer percentile(double p) {
            if (!(p > 50 && p <= 100)) throw new EngineException("quantization: percentile " + p + " must be in (50, 100]");
            return new Observer(p);
        }

        /** 100 for min/max. */
        public double percentile() { return percentile; }

        /** The [low, high] range of {@code values[0, n)} (sorted in place). */
        float[] range(float[] values, int n) {
            if (n == 0) return new float[]{0, 0};
            Arrays.sort(values, 0, n);
            if (percentile >= 100) return new float[]{values[0], values[n - 1]};
            int hi = (int) Math.min(n - 1, Math.ceil(percentile / 100 * n) - 1), lo = Math.max(0, n - 1 - hi);
            return new float[]{values[lo], values[Math.max(lo, hi)]};
        }

        @Override public String toString() { return percentile >= 100 ? "min/max" : "percentile " + percentile; }
    }

    private final float[][][] calibration;  // [input][row][value], or null (dynamic, bf16)
    private final Observer observer;
    private final boolean convolutions;
    private final boolean bf16;

    private Quantization(float[][][] calibration, Observer observer, boolean convolutions) { this(calibration, observer, convolutions, false); }

    private Quantization(float[][][] calibration, Observer observer, boolean convolutions, boolean bf16) {
        this.calibration = calibration;
        this.observer = observer;
        this.convolutions = convolutions;
        this.bf16 = bf16;
    }

    /**
     * BF16 Linear layers: each weight rounded to bfloat16 (round to nearest even) and packed once, each
     * layer's input rounded to bfloat16 on every call, products summed in F32, then bias, residual and
     * activation in F32; everything else (convolutions included) stays F32. No calibration; a row's result
     * does not depend on its batch. On the CPU backend: AMX tiles where the CPU has AMX-BF16, else
     * {@code vdpbf16ps} where it has AVX512_BF16, else the same rounded values widened to F32. A bundle stores the rounded weights in two bytes each.
     *
     * <pre>{@code
     * FrozenModel b = Freezer.freeze(model, Tensor.zeros(1, 784), FreezeOptions.defaults().quantize(Quantization.bf16()));
     * }</pre>
     */
    public static Quantization bf16() { return new Quantization(null, null, false, true); }

    /** Whether this is {@link #bf16()} rather than an int8 quantisation. */
    public boolean isBf16() { return bf16; }

    /**
     * int8 weights; each layer's input quantised from its own range on every call. That range is the whole
     * batch's (per tensor), so a row's result can change slightly with the rows it is batched with; static
     * quantisation does not have that property.
     */
    public static Quantization int8Dynamic() { return new Quantization(null, Observer.minMax(), true); }

    /**
     * int8 weights; each layer's input quantised with a scale and zero point fixed now, from the values
     * it takes while the F32 model runs the calibration samples (min/max observer unless {@link #observer}
     * says otherwise). A single-input model takes its rows, each one input sample flattened:
     * {@code int8Static(rows)}. A model with several inputs (e.g. a sequence and its key-padding mask) takes
     * one array of rows per input, in {@link FrozenModel#inputNames()} order, row {@code r} of every array
     * making sample {@code r}: {@code int8Static(sequences, masks)}.
     */
    public static Quantization int8Static(float[][]... inputs) {
        if (inputs == null || inputs.length == 0) throw new EngineException("quantization: static calibration needs at least one row");
        float[][][] copy = new float[inputs.length][][];
        for (int k = 0; k < inputs.length; k++) {
            float[][] rows = inputs[k];
            String of = inputs.length == 1 ? "" : " of input " + k;
            if (rows == null || rows.length == 0) throw new EngineException("quantization: static calibration needs at least one row" + of);
            if (rows.length != inputs[0].length)
                throw new ShapeException("quantization: calibration input " + k + " has " + rows.length + " rows, input 0 has " + inputs[0].length
                        + "; every input needs one row per calibration sample");
            for (int i = 0; i < rows.length; i++) {
                if (rows[i] == null) throw new EngineException("quantization: calibration row " + i + of + " is null");
                for (int j = 0; j < rows[i].length; j++)
                    if (!Float.isFinite(rows[i][j]))
                        throw new EngineException("quantization: calibration row " + i + of + ", value " + j + " is " + rows[i][j]);
            }
            copy[k] = rows.clone();
        }
        return new Quantization(copy, Observer.minMax(), true);
    }

    /** The same quantisation with another observer (static only). */
    public Quantization observer(Observer o) {
        if (o == null) throw new EngineException("quantization: observer is null");
        if (bf16) throw new EngineException("quantization: bf16 needs no calibration, so it has no observer");
        if (calibration == null) throw new EngineException("quantization: a dynamic quantization has no observer");
        return new Quantization(calibration, o, convolutions);
    }

    /**
     * The same quantisation for Linear layers only; Conv2d layers stay F32. By default an int8 quantisation
     * covers Conv2d layers of groups 1 too (int8 weights per filter); on the CPU backend their stride-1
     * convolutions run a direct int8 kernel where the CPU has AVX-512 VNNI and VBMI, and im2col + the int8
     * GEMM elsewhere, which for small convolutions such as LeNet's is slower than the F32 direct convolution
     * (benchmarks/results/NOTES.md): this is the choice for those CPUs. A bf16 quantisation is Linear-only already.
     *
     * <pre>{@code
     * Quantization q = Quantization.int8Static(calibrationRows).excludingConvolutions();
     * }</pre>
     */
    public Quantization excludingConvolutions() {
        return bf16 ? this : new Quantization(calibration, observer, false);
    }

    /** Whether Conv2d layers are quantised too. */
    public boolean convolutions() { return convolutions; }

    public boolean isStatic() { return calibration != null; }
    public Observer observer() { return observer; }
    /** The calibration rows of each input (static), or null. */
    float[][][] calibration() { return calibration; }

    @Override public String toString() {
        if (bf16) return "bf16";
        return (isStatic() ? "int8 static (" + calibration[0].length + " calibration rows, " + observer + ")" : "int8 dynamic")
                + (convolutions ? "" : ", Linear layers only");
    }
}
