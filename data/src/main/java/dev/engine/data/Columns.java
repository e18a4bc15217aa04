package dev.engine.data;

import dev.engine.api.EngineException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A selection of feature columns by index or by name, resolved against a dataset when a step is
 * fitted. "All" may exclude the categorical columns (numeric steps) or be only them (encoders).
 */
final class Columns {
    enum Default { ALL, NUMERIC, CATEGORICAL }

    private final List<Object> refs;   // Integer or String; empty = the default
    private final Default dflt;

    private Columns(List<Object> refs, Default dflt) {
        this.refs = refs;
        this.dflt = dflt;
    }

    static Columns byDefault(Default d) { return new Columns(List.of(), d); }

    static Columns of(int[] indices, Default d) {
        List<Object> r = new ArrayList<>();
        for (int i : indices) r.add(i);
        return new Columns(r, d);
    }

    static Columns of(String[] names, Default d) { return new Columns(new ArrayList<>(Arrays.asList(names)), d); }

    /** The selected column indices, sorted, without repeats. */
    int[] resolve(Dataset data, String step) {
        int width = data.featureSize();
        boolean[] sel = new boolean[width];
        if (refs.isEmpty()) {
            for (int j = 0; j < width; j++) {
                sel[j] = dflt == Default.ALL || (dflt == Default.NUMERIC) != data.isCategorical(j);
            }
        }
        for (Object r : refs) {
            int j;
            if (r instanceof Integer) {
                j = (Integer) r;
                if (j < 0 || j >= width) throw new EngineException(step + ": column " + j + " out of range 0.." + (width - 1));
            } else {
                j = data.columnIndex((String) r);
            }
            sel[j] = true;
        }
        int c = 0;
        for (boolean b : sel) if (b) c++;
        int[] out = new int[c];
        c = 0;
        for (int j = 0; j < width; j++) if (sel[j]) out[c++] = j;
        return out;
    }
}
