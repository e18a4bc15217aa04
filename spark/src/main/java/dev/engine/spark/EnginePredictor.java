package dev.engine.spark;

import dev.engine.api.EngineException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Batch inference with an engine bundle as a Spark ML {@link Transformer}. The driver reads the bundle once
 * from any Hadoop file system and broadcasts its bytes; each executor JVM builds one {@code Predictor} from
 * them, shared by its tasks and closed when the JVM ends; every partition is scored {@code batchSize} rows per
 * model call. The bundle's saved preprocessing and post-processing apply exactly as in {@code Predictor}, so
 * every row gets the prediction a single-process {@code Predictor} gives it.
 *
 * <p>Input: {@code inputCol} (an ML Vector, {@code array<float>} or {@code array<double>}) or {@code inputCols}
 * (numeric columns). Output, in the order named by {@code outputCols} (1 to 3 names): the predicted label
 * (string), its probability (double) and all scores (Vector). Invalid rows (null, wrong length, non-finite, a
 * missing value with no imputer in the bundle): {@code handleInvalid} "error" (default) fails with an
 * {@link InvalidRowException} naming the partition and row, "skip" drops them, "keep" outputs nulls.
 * Saved and loaded like any Spark ML stage, so it fits a {@code Pipeline} (the bundle is referenced by its
 * path, not copied).
 *
 * <pre>{@code
 * Dataset<Row> scored = new EnginePredictor()
 *         .setModelPath("hdfs:///models/digits.bundle")
 *         .setInputCol("features")
 *         .setOutputCols("label", "probability")
 *         .setBatchSize(256)
 *         .transform(df);
 * }</pre>
 */
public final class EnginePredictor extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> modelPath;
    private final Param<String> inputCol;
    private final StringArrayParam inputCols;
    private final StringArrayParam outputCols;
    private final IntParam batchSize;
    private final Param<String> handleInvalid;
    private final IntParam engineThreads;

    /** The broadcast of the last transform, reused while the model path stays the same. */
    private transient Broadcast<byte[]> broadcast;
    private transient String broadcastPath;
    private transient org.apache.spark.SparkContext broadcastContext;

    public EnginePredictor() { this(Identifiable.randomUID("enginePredictor")); }

    public EnginePredictor(String uid) {
        this.uid = uid;
        modelPath = new Param<>(this, "modelPath", "path of the engine bundle (any Hadoop file system URI)");
        inputCol = new Param<>(this, "inputCol", "input column: ML Vector, array<float> or array<double>");
        inputCols = new StringArrayParam(this, "inputCols", "numeric input columns, one value each");
        outputCols = new StringArrayParam(this, "outputCols", "output columns: label [, probability [, scores]]");
        batchSize = new IntParam(this, "batchSize", "rows per model call", ParamValidators.gtEq(1));
        handleInvalid = new Param<>(this, "handleInvalid", "invalid rows: error, skip or keep (null outputs)",
                ParamValidators.inArray(new String[]{"error", "skip", "keep"}));
        engineThreads = new IntParam(this, "engineThreads",
                "kernel threads per executor JVM (0: leave the backend's setting); keep threads x executor cores <= cores", ParamValidators.gtEq(0));
        setDefault(outputCols, new String[]{"label", "probability"});
        setDefault(batchSize, 256);
        setDefault(handleInvalid, "error");
        setDefault(engineThreads, 0);
    }

    @Override public String uid() { return uid; }

    public Param<String> modelPath() { return modelPath; }
    public Param<String> inputCol() { return inputCol; }
    public StringArrayParam inputCols() { return inputCols; }
    public StringArrayParam outputCols() { return outputCols; }
    public IntParam batchSize() { return batchSize; }
    public Param<String> handleInvalid() { return handleInvalid; }
    public IntParam engineThreads() { return engineThreads; }

    public EnginePredictor setModelPath(String v) { set(modelPath, v); return this; }
    public EnginePredictor setInputCol(String v) { set(inputCol, v); return this; }
    public EnginePredictor setInputCols(String... v) { set(inputCols, v); return this; }
    public EnginePredictor setOutputCols(String... v) { set(outputCols, v); return this; }
    public EnginePredictor setBatchSize(int v) { set(batchSize, v); return this; }
    public EnginePredictor setHandleInvalid(String v) { set(handleInvalid, v); return this; }
    public EnginePredictor setEngineThreads(int v) { set(engineThreads, v); return this; }

    public String getModelPath() { return isDefined(modelPath) ? getOrDefault(modelPath) : null; }
    public String getInputCol() { return isDefined(inputCol) ? getOrDefault(inputCol) : null; }
    public String[] getInputCols() { return isDefined(inputCols) ? getOrDefault(inputCols) : null; }
    public String[] getOutputCols() { return getOrDefault(outputCols); }
    public int getBatchSize() { return (Integer) getOrDefault(batchSize); }
    public String getHandleInvalid() { return getOrDefault(handleInvalid); }
    public int getEngineThreads() { return (Integer) getOrDefault(engineThreads); }

    @Override public StructType transformSchema(StructType schema) {
        RowInput.of(schema, getInputCol(), getInputCols());
        return RowOutput.schema(schema, getOutputCols());
    }

    @Override public Dataset<Row> transform(Dataset<?> dataset) {
        Dataset<Row> df = dataset.toDF();
        StructType out = transformSchema(df.schema());
        String path = getModelPath();
        SparkSession spark = df.sparkSession();
        Broadcast<byte[]> b = bundle(spark, path);
        ScorePartition task = new ScorePartition(b, path, RowInput.of(df.schema(), getInputCol(), getInputCols()),
                RowOutput.of(getOutputCols()), getBatchSize(), getHandleInvalid(), getEngineThreads());
        JavaRDD<Row> scored = df.javaRDD().mapPartitionsWithIndex(task, true);
        return spark.createDataFrame(scored, out);
    }

    private synchronized Broadcast<byte[]> bundle(SparkSession spark, String path) {
        if (path == null) throw new EngineException("engine predictor: modelPath is not set");
        if (broadcast == null || !path.equals(broadcastPath) || broadcastContext != spark.sparkContext()) {
            byte[] bytes = BundleBytes.read(path, spark.sparkContext().hadoopConfiguration());
            broadcast = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(bytes);
            broadcastPath = path;
            broadcastContext = spark.sparkContext();
        }
        return broadcast;
    }

    @Override public EnginePredictor copy(ParamMap extra) { return defaultCopy(extra); }

    /** The reader Spark's {@code Pipeline} load and {@link #load} use. */
    public static MLReader<EnginePredictor> read() { return new DefaultParamsReader<>(); }

    /** Loads a predictor saved with {@code write().save(path)}. */
    public static EnginePredictor load(String path) { return read().load(path); }
}
