package dev.engine.data;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The categories of one column as seen in the training rows, in a fixed order. For a categorical
 * column (strings read from CSV) they are the names, sorted, and the fitted code of a category is its
 * position; for a numeric column they are the distinct values, ascending.
 */
final class CategoryVocab {
    final boolean named;        // from a categorical column: values are codes 0..k-1 into names
    final List<String> names;
    final float[] values;       // ascending

    private CategoryVocab(boolean named, List<String> names, float[] values) {
        this.named = named;
        this.names = List.copyOf(names);
        this.values = values;
    }

    static CategoryVocab fit(Dataset d, int col) {
        int w = d.featureSize();
        float[] x = d.rawFeatures();
        TreeSet<Float> seen = new TreeSet<>();
        for (int i = col; i < x.length; i += w) if (!Float.isNaN(x[i])) seen.add(x[i]);
        if (d.isCategorical(col)) {
            List<String> vocab = d.categories(col);
            TreeSet<String> present = new TreeSet<>();
            for (float code : seen) {
                int c = (int) code;
                if (c == code && c >= 0 && c < vocab.size()) present.add(vocab.get(c));
            }
            List<String> names = new ArrayList<>(present);
            float[] v = new float[names.size()];
            for (int i = 0; i < v.length; i++) v[i] = i;
            return new CategoryVocab(true, names, v);
        }
        float[] v = new float[seen.size()];
        List<String> names = new ArrayList<>();
        int k = 0;
        for (float f : seen) {
            v[k++] = f;
            names.add(f == Math.rint(f) && Math.abs(f) < 1e9 ? Long.toString((long) f) : Float.toString(f));
        }
        return new CategoryVocab(false, names, v);
    }

    int size() { return values.length; }

    /** Position of {@code v} among the categories; -1 if unknown, -2 if missing (NaN). */
    int indexOf(float v) {
        if (Float.isNaN(v)) return -2;
        int i = Arrays.binarySearch(values, v);
        return i >= 0 ? i : -1;
    }

    /**
     * Rewrites column {@code col} of a copy of {@code x} from the dataset's own codes into this
     * vocabulary's codes (unknown names become -1). Only for named vocabularies on categorical columns.
     */
    void recode(float[] x, int w, int col, List<String> datasetVocab) {
        TreeMap<String, Integer> pos = new TreeMap<>();
        for (int i = 0; i < names.size(); i++) pos.put(names.get(i), i);
        float[] map = new float[datasetVocab.size()];
        for (int i = 0; i < map.length; i++) map[i] = pos.getOrDefault(datasetVocab.get(i), -1);
        for (int i = col; i < x.length; i += w) {
            float v = x[i];
            if (Float.isNaN(v)) continue;
            int c = (int) v;
            x[i] = (c == v && c >= 0 && c < map.length) ? map[c] : -1f;
        }
    }

    void write(DataOutput out) throws IOException {
        out.writeBoolean(named);
        StateIo.writeStrings(out, names);
        StateIo.writeFloats(out, values);
    }

    static CategoryVocab read(DataInput in) throws IOException {
        boolean named = in.readBoolean();
        List<String> names = StateIo.readStrings(in);
        float[] values = StateIo.readFloats(in);
        StateIo.check(names.size() == values.length, "category names and values differ in number");
        for (int i = 1; i < values.length; i++) StateIo.check(values[i - 1] < values[i], "category values not ascending");
        return new CategoryVocab(named, names, values);
    }

    /**
     * A copy of {@code d} whose encoded categorical columns hold codes of the fitted vocabularies.
     * Used by the encoders before their row loop.
     */
    static Dataset recodeAll(Dataset d, int[] cols, CategoryVocab[] vocabs) {
        float[] x = null;
        java.util.Map<Integer, List<String>> cats = new TreeMap<>(d.categoricalColumns());
        for (int k = 0; k < cols.length; k++) {
            if (!vocabs[k].named || !d.isCategorical(cols[k])) continue;
            if (d.categories(cols[k]).equals(vocabs[k].names)) continue;
            if (x == null) x = d.features();
            vocabs[k].recode(x, d.featureSize(), cols[k], d.categories(cols[k]));
            cats.put(cols[k], vocabs[k].names);
        }
        return x == null ? d : d.withFeatures(x, d.featureShape(), d.columnNames(), cats);
    }

    /**
     * A copy of {@code d} whose categorical columns listed in {@code vocab} hold codes into that
     * vocabulary (matched by name). Names {@code d} has but {@code vocab} lacks are appended after it,
     * so they stay distinct (and unknown to encoders fitted on {@code vocab}). Returns {@code d} itself
     * when nothing changes.
     */
    static Dataset align(Dataset d, java.util.Map<Integer, List<String>> vocab) {
        float[] x = null;
        java.util.Map<Integer, List<String>> cats = new TreeMap<>(d.categoricalColumns());
        int w = d.featureSize();
        for (java.util.Map.Entry<Integer, List<String>> e : vocab.entrySet()) {
            int col = e.getKey();
            if (col >= w || !d.isCategorical(col)) continue;
            List<String> own = d.categories(col);
            List<String> target = e.getValue();
            if (own.equals(target)) continue;
            List<String> merged = new ArrayList<>(target);
            TreeMap<String, Integer> pos = new TreeMap<>();
            for (int i = 0; i < target.size(); i++) pos.putIfAbsent(target.get(i), i);
            float[] map = new float[own.size()];
            for (int i = 0; i < own.size(); i++) {
                Integer p = pos.get(own.get(i));
                if (p == null) {
                    p = merged.size();
                    merged.add(own.get(i));
                    pos.put(own.get(i), p);
                }
                map[i] = p;
            }
            if (x == null) x = d.features();
            for (int i = col; i < x.length; i += w) {
                float v = x[i];
                int c = (int) v;
                if (!Float.isNaN(v) && c == v && c >= 0 && c < map.length) x[i] = map[c];
            }
            cats.put(col, merged);
        }
        return x == null ? d : d.withFeatures(x, d.featureShape(), d.columnNames(), cats);
    }
}
