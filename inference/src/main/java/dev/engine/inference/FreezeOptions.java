package dev.engine.inference;

import dev.engine.api.Backend;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which freezing passes run and on which backend. Immutable; every pass can be switched off alone.
 *
 * <pre>{@code
 * FreezeOptions o = FreezeOptions.defaults().without(FreezeOptions.Pass.FUSE_ELEMENTWISE);
 * FreezeOptions plain = FreezeOptions.none();   // the traced graph as is, no arena sharing
 * FreezeOptions q = FreezeOptions.defaults().quantize(Quantization.int8Dynamic());   // int8 Linear layers
 * FreezeOptions b = FreezeOptions.defaults().quantize(Quantization.bf16());          // bf16 Linear layers
 * }</pre>
 */
public final class FreezeOptions {
    /** The passes, in the order they run. */
    public enum Pass {
        /** Dead nodes, dropout, identity and no-op reshapes removed. */
        DEAD_CODE,
        /** Elementwise ops over constants evaluated once; x*1 and x+0 dropped. */
        CONSTANT_FOLDING,
        /** BatchNorm (and constant scale/shift) folded into the preceding linear/conv. */
        FOLD_BATCHNORM,
        /** Linear weights stored transposed ([in, out]) once. */
        PACK_WEIGHTS,
        /** Linear/conv + bias + activation (+ residual add) fused into one GEMM/conv epilogue. */
        FUSE_EPILOGUE,
        /** Chains of elementwise ops fused into one program. */
        FUSE_ELEMENTWISE,
        /** Values whose lifetimes do not overlap share arena space (off: every value its own region). */
        SHARE_MEMORY
    }

    private final Set<Pass> passes;
    private final Backend backend;
    private final Quantization quantization;

    private FreezeOptions(Set<Pass> passes, Backend backend) { this(passes, backend, null); }

    private FreezeOptions(Set<Pass> passes, Backend backend, Quantization quantization) {
        this.passes = passes.isEmpty() ? EnumSet.noneOf(Pass.class) : EnumSet.copyOf(passes);
        this.backend = backend;
        this.quantization = quantization;
    }

    /** Every pass on, the preferred backend. */
    public static FreezeOptions defaults() { return new FreezeOptions(EnumSet.allOf(Pass.class), null); }

    /** Every pass off. */
    public static FreezeOptions none() { return new FreezeOptions(EnumSet.noneOf(Pass.class), null); }

    public FreezeOptions without(Pass p) {
        Set<Pass> s = EnumSet.noneOf(Pass.class);
        s.addAll(passes);
        s.remove(p);
        return new FreezeOptions(s, backend, quantization);
    }

    public FreezeOptions with(Pass p) {
        Set<Pass> s = EnumSet.noneOf(Pass.class);
        s.addAll(passes);
        s.add(p);
        return new FreezeOptions(s, backend, quantization);
    }

    /** Runs on {@code b} instead of the preferred backend. */
    public FreezeOptions backend(Backend b) { return new FreezeOptions(passes, b, quantization); }

    /** Quantises the Linear layers (int8 or bf16) after the other passes (null: stay F32); see {@link Quantization}. */
    public FreezeOptions quantize(Quantization q) { return new FreezeOptions(passes, backend, q); }

    /** The quantisation to apply, or null. */
    public Quantization quantization() { return quantization; }

    public boolean enabled(Pass p) { return passes.contains(p); }

    /** The chosen backend or null for {@link dev.engine.api.Backends#preferred()}. */
    public Backend backend() { return backend; }

    @Override public String toString() { return "FreezeOptions" + passes + (quantization == null ? "" : " " + quantization); }
}
