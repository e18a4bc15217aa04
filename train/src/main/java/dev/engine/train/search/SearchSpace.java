package dev.engine.train.search;

import dev.engine.api.EngineException;
import dev.engine.autograd.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The declared hyperparameters of a search: named {@link Param}s in declaration order. Trials are either
 * sampled ({@link #sample}: seeded, trial {@code i} depends only on the seed and {@code i}) or enumerated
 * as the full grid ({@link #grid}: the cartesian product, the last parameter varying fastest).
 *
 * <pre>{@code
 * SearchSpace space = SearchSpace.builder()
 *         .logUniform("lr", 1e-4, 1e-1)
 *         .choice("batch", 16, 32, 64)
 *         .choice("hidden", new int[] {64}, new int[] {128, 64})
 *         .logUniform("weight_decay", 1e-6, 1e-2)
 *         .uniform("dropout", 0.0, 0.5)
 *         .build();
 * // the same from a command line ("--param" options or one string separated by ';')
 * SearchSpace same = SearchSpace.parse("lr=loguniform:1e-4:1e-1", "batch=choice:16,32,64",
 *         "hidden=choice:[64],[128,64]", "weight_decay=loguniform:1e-6:1e-2", "dropout=uniform:0:0.5");
 * Trial t = space.sample(0, 42);
 * List<Trial> grid = space.grid(3, 42);     // continuous ranges get 3 points each
 * }</pre>
 */
public final class SearchSpace {
    /** Grids larger than this are refused (use random search or successive halving instead). */
    public static final long MAX_GRID = 1_000_000;

    private final Map<String, Param> params;

    private SearchSpace(Map<String, Param> params) {
        if (params.isEmpty()) throw new EngineException("a search space needs at least one parameter");
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }

    public static Builder builder() { return new Builder(); }

    /** A space of these parameters (names must be distinct). */
    public static SearchSpace of(List<? extends Param> params) {
        Builder b = builder();
        for (Param p : params) b.add(p);
        return b.build();
    }

    /**
     * Parses parameter specs ({@code name=kind:args}, see {@link Param#parse}); each argument may hold
     * several specs separated by ';' or new lines; blank lines and '#' comments are skipped.
     */
    public static SearchSpace parse(String... specs) { return parse(Arrays.asList(specs)); }

    public static SearchSpace parse(List<String> specs) {
        Builder b = builder();
        for (String s : specs) {
            for (String line : s.split("[;\\n]")) {
                String t = line.strip();
                int hash = t.indexOf('#');
                if (hash >= 0) t = t.substring(0, hash).strip();
                if (!t.isEmpty()) b.add(Param.parse(t));
            }
        }
        return b.build();
    }

    /** Declares parameters in order. */
    public static final class Builder {
        private final Map<String, Param> params = new LinkedHashMap<>();

        private Builder() {}

        public Builder add(Param p) {
            if (params.containsKey(p.name())) throw new EngineException("parameter '" + p.name() + "' declared twice");
            params.put(p.name(), p);
            return this;
        }

        /** A categorical choice: numbers, booleans, strings, int[] or double[] (e.g. hidden layer sizes). */
        public Builder choice(String name, Object... values) { return add(new Param.Choice(name, Arrays.asList(values))); }

        public Builder choice(String name, List<?> values) { return add(new Param.Choice(name, new ArrayList<>(values))); }

        /** A fixed value (a choice of one): recorded in every trial and the results table. */
        public Builder constant(String name, Object value) { return add(new Param.Choice(name, List.of(value))); }

        public Builder uniform(String name, double low, double high) { return add(new Param.Uniform(name, low, high, 0)); }

        /** With its own number of grid points for grid search. */
        public Builder uniform(String name, double low, double high, int gridPoints) { return add(new Param.Uniform(name, low, high, gridPoints)); }

        public Builder logUniform(String name, double low, double high) { return add(new Param.LogUniform(name, low, high, 0)); }

        public Builder logUniform(String name, double low, double high, int gridPoints) { return add(new Param.LogUniform(name, low, high, gridPoints)); }

        /** Integers in [low, high], inclusive. */
        public Builder intRange(String name, int low, int high) { return add(new Param.IntRange(name, low, high, false, 0)); }

        /** Integers in [low, high], inclusive, uniform in log space (layer widths). */
        public Builder logIntRange(String name, int low, int high) { return add(new Param.IntRange(name, low, high, true, 0)); }

        public SearchSpace build() { return new SearchSpace(params); }
    }

    /** The parameters in declaration order. */
    public List<Param> params() { return List.copyOf(params.values()); }

    public List<String> names() { return List.copyOf(params.keySet()); }

    public int size() { return params.size(); }

    public Param param(String name) {
        Param p = params.get(name);
        if (p == null) throw new EngineException("no parameter '" + name + "' in the search space; have " + params.keySet());
        return p;
    }

    /** The specs, one per parameter, which {@link #parse} reads back to an equal space. */
    public List<String> specs() {
        List<String> out = new ArrayList<>();
        for (Param p : params.values()) out.add(p.spec());
        return out;
    }

    /** The per-trial seed used by {@link #sample} and {@link #grid}. */
    public static long trialSeed(long searchSeed, int trialId) { return Generator.mixPair(searchSeed, 0x5EED0000L + trialId); }

    /**
     * Trial {@code id} of a random search with this seed: each parameter drawn independently in
     * declaration order from a generator seeded by (seed, id), so trial 7 is the same whether 8 or 100
     * trials are drawn.
     */
    public Trial sample(int id, long seed) {
        Generator r = Generator.of(seed, id);
        Map<String, Object> values = new LinkedHashMap<>();
        for (Param p : params.values()) values.put(p.name(), p.at(r.nextDouble()));
        return new Trial(id, trialSeed(seed, id), values);
    }

    /** Trials {@code 0..n-1} of a random search. */
    public List<Trial> samples(int n, long seed) {
        List<Trial> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(sample(i, seed));
        return out;
    }

    /**
     * Up to {@code n} trials with pairwise different values: draws {@code 0, 1, 2, ...} as {@link #sample}
     * and skips repeats (which a space of only choices produces), numbering the kept trials 0..k-1 (seeds
     * follow the new ids). Fewer than {@code n} come back when the space has fewer distinct configurations
     * (found within {@code max(1000, 50 n)} draws). Prefix-stable: the first k of n are the k of k.
     */
    public List<Trial> distinctSamples(int n, long seed) {
        List<Trial> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        long attempts = Math.max(1000L, 50L * n);
        for (int draw = 0; out.size() < n && draw < attempts; draw++) {
            Trial t = sample(draw, seed);
            StringBuilder key = new StringBuilder();
            for (String name : params.keySet()) key.append(t.format(name)).append('\u0000');
            if (!seen.add(key.toString())) continue;
            int id = out.size();
            out.add(id == draw ? t : new Trial(id, trialSeed(seed, id), t.params()));
        }
        return out;
    }

    /** How many trials {@link #grid(int, long)} would give; throws like it for a continuous range without resolution. */
    public long gridSize(int resolution) {
        long n = 1;
        for (Param p : params.values()) {
            n *= p.grid(resolution).size();
            if (n > MAX_GRID) return n;
        }
        return n;
    }

    /**
     * The full grid: the cartesian product of every parameter's grid points, each combination exactly once,
     * the last declared parameter varying fastest; trial ids 0..n-1. {@code resolution}: points per
     * continuous range that has no {@code gridPoints} of its own (0: none, then such a range is an error).
     */
    public List<Trial> grid(int resolution, long seed) {
        List<String> names = new ArrayList<>(params.keySet());
        List<List<Object>> axes = new ArrayList<>();
        long total = 1;
        for (Param p : params.values()) {
            List<Object> g = p.grid(resolution);
            axes.add(g);
            total *= g.size();
            if (total > MAX_GRID) throw new EngineException("the grid has more than " + MAX_GRID + " combinations; use a coarser "
                    + "resolution, fewer choices, random search or successive halving");
        }
        List<Trial> out = new ArrayList<>((int) total);
        int[] idx = new int[axes.size()];
        for (int id = 0; id < total; id++) {
            Map<String, Object> values = new LinkedHashMap<>();
            for (int k = 0; k < idx.length; k++) values.put(names.get(k), axes.get(k).get(idx[k]));
            out.add(new Trial(id, trialSeed(seed, id), values));
            for (int k = idx.length - 1; k >= 0; k--) {
                if (++idx[k] < axes.get(k).size()) break;
                idx[k] = 0;
            }
        }
        return out;
    }

    /** Same parameters with the same specs, in the same order. */
    @Override public boolean equals(Object o) { return o instanceof SearchSpace s && s.specs().equals(specs()); }

    @Override public int hashCode() { return specs().hashCode(); }

    @Override public String toString() { return String.join("; ", specs()); }
}
