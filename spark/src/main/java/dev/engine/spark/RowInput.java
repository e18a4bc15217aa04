package dev.engine.spark;

import dev.engine.api.EngineException;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Where a row's model input comes from: one column holding an ML {@code Vector} or an {@code array<float>} /
 * {@code array<double>}, or several numeric columns, one value each. A null element or cell becomes NaN (a
 * missing value: the bundle's imputer fills it, or the row is invalid); a null vector or array makes the
 * whole row null (invalid).
 */
final class RowInput implements Serializable {
    private static final long serialVersionUID = 1L;

    private enum Kind { VECTOR, ARRAY, COLUMNS }

    private final Kind kind;
    private final int[] indices;

    private RowInput(Kind kind, int[] indices) { this.kind = kind; this.indices = indices; }

    /** Checks the columns against {@code schema}; exactly one of {@code col} / {@code cols} is set. */
    static RowInput of(StructType schema, String col, String[] cols) {
        boolean one = col != null && !col.isEmpty(), many = cols != null && cols.length > 0;
        if (one == many) throw new EngineException("engine predictor: set exactly one of inputCol and inputCols");
        if (one) {
            StructField f = field(schema, col);
            DataType t = f.dataType();
            if (t.equals(SQLDataTypes.VectorType())) return new RowInput(Kind.VECTOR, new int[]{schema.fieldIndex(col)});
            if (t instanceof ArrayType a && (a.elementType().equals(DataTypes.FloatType) || a.elementType().equals(DataTypes.DoubleType)))
                return new RowInput(Kind.ARRAY, new int[]{schema.fieldIndex(col)});
            throw new EngineException("engine predictor: input column '" + col + "' is " + t.simpleString()
                    + "; it must be an ML Vector, array<float> or array<double> (or use inputCols for numeric columns)");
        }
        int[] idx = new int[cols.length];
        for (int i = 0; i < cols.length; i++) {
            StructField f = field(schema, cols[i]);
            if (!(f.dataType() instanceof NumericType))
                throw new EngineException("engine predictor: input column '" + cols[i] + "' is " + f.dataType().simpleString() + "; inputCols must be numeric");
            idx[i] = schema.fieldIndex(cols[i]);
        }
        return new RowInput(Kind.COLUMNS, idx);
    }

    private static StructField field(StructType schema, String name) {
        for (StructField f : schema.fields()) if (f.name().equals(name)) return f;
        throw new EngineException("engine predictor: no input column '" + name + "'; the data has " + List.of(schema.fieldNames()));
    }

    /** The row's raw input values, or null when the vector/array itself is null. */
    float[] read(Row row) {
        switch (kind) {
            case VECTOR: {
                Object v = row.get(indices[0]);
                if (v == null) return null;
                double[] d = ((Vector) v).toArray();
                float[] out = new float[d.length];
                for (int i = 0; i < d.length; i++) out[i] = (float) d[i];
                return out;
            }
            case ARRAY: {
                if (row.isNullAt(indices[0])) return null;
                List<Object> list = row.getList(indices[0]);
                float[] out = new float[list.size()];
                for (int i = 0; i < out.length; i++) {
                    Object o = list.get(i);
                    out[i] = o == null ? Float.NaN : ((Number) o).floatValue();
                }
                return out;
            }
            default: {
                float[] out = new float[indices.length];
                for (int i = 0; i < out.length; i++) {
                    Object o = row.get(indices[i]);
                    out[i] = o == null ? Float.NaN : ((Number) o).floatValue();
                }
                return out;
            }
        }
    }
}
