package dev.engine.data;

import dev.engine.api.EngineException;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/** Shared fitting and state handling of {@link OneHotEncode} and {@link OrdinalEncode}. */
final class Encoders {
    private Encoders() {}

    record State(int[] shape, int[] cols, CategoryVocab[] vocabs) {}

    static int[] resolve(Dataset train, Columns columns, String kind) {
        if (train.featureShape().length != 1) {
            throw new EngineException(kind + " needs flat rows (one value per column), got shape "
                    + Arrays.toString(train.featureShape()));
        }
        int[] c = columns.resolve(train, kind);
        if (c.length == 0) {
            throw new EngineException(kind + ": no columns to encode (the dataset has no categorical columns; "
                    + "name the columns to encode)");
        }
        return c;
    }

    static void write(DataOutput out, int[] shape, int[] cols, CategoryVocab[] vocabs) throws IOException {
        StateIo.writeInts(out, shape);
        StateIo.writeInts(out, cols);
        for (CategoryVocab v : vocabs) v.write(out);
    }

    static State read(DataInput in) throws IOException {
        int[] shape = StateIo.readInts(in);
        StateIo.check(shape.length == 1 && shape[0] > 0, "encoder input must be flat");
        int[] cols = StateIo.readInts(in);
        for (int k = 0; k < cols.length; k++) {
            StateIo.check(cols[k] >= 0 && cols[k] < shape[0] && (k == 0 || cols[k - 1] < cols[k]), "bad encoded column list");
        }
        CategoryVocab[] v = new CategoryVocab[cols.length];
        for (int k = 0; k < v.length; k++) v[k] = CategoryVocab.read(in);
        return new State(shape, cols, v);
    }
}
