package dev.engine.spark;

import dev.engine.api.EngineException;
import dev.engine.inference.Prediction;
import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The columns a prediction adds, in the order the user named them: the predicted label (string; null for
 * regression), its probability (double; NaN for raw outputs and regression), and all post-processed scores
 * (an ML Vector: class probabilities, or the regression values). An invalid row kept by
 * {@code handleInvalid=keep} gets null in each.
 */
final class RowOutput implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final DataType[] TYPES = {DataTypes.StringType, DataTypes.DoubleType, SQLDataTypes.VectorType()};

    private final int count;

    private RowOutput(int count) { this.count = count; }

    static RowOutput of(String[] names) {
        if (names == null || names.length < 1 || names.length > TYPES.length)
            throw new EngineException("engine predictor: outputCols takes 1 to 3 names (label, probability, scores); got "
                    + (names == null ? "none" : Arrays.toString(names)));
        return new RowOutput(names.length);
    }

    static StructType schema(StructType in, String[] names) {
        RowOutput o = of(names);
        StructType out = in;
        for (int i = 0; i < o.count; i++) {
            if (Arrays.asList(in.fieldNames()).contains(names[i]))
                throw new EngineException("engine predictor: output column '" + names[i] + "' already exists in the data");
            out = out.add(new StructField(names[i], TYPES[i], true, org.apache.spark.sql.types.Metadata.empty()));
        }
        return out;
    }

    int count() { return count; }

    /** Writes the outputs of {@code p} (null: an invalid row kept) into {@code values} from {@code offset}. */
    void write(Prediction p, Object[] values, int offset) {
        if (p == null) return;   // already nulls
        if (count > 0) values[offset] = p.label();
        if (count > 1) values[offset + 1] = p.probability();
        if (count > 2) {
            float[] s = p.scores();
            double[] d = new double[s.length];
            for (int i = 0; i < s.length; i++) d[i] = s[i];
            values[offset + 2] = Vectors.dense(d);
        }
    }
}
