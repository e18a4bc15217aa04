package dev.engine.data;


/**
 * A fitted {@link Pipeline} as a deployment bundle's preprocessing step, so a {@code Predictor} applies
 * exactly the transformation the model was trained with to raw input rows.
 *
 * <pre>{@code
 * Pipeline prep = Pipeline.of(new Scale(1.0 / 16)).fit(train);
 * Bundle.save(path, frozen, new PipelineTransform(prep), PostProcessor.softmax(labels));
 * }</pre>
 */
public final class PipelineTransform implements RowTransform {
    /** The bundle type name. */
    public static final String TYPE = "pipeline";

    private final Pipeline pipeline;

    public PipelineTransform(Pipeline fitted) {
        fitted.inputShape();  // throws unless fitted
        this.pipeline = fitted;
    }

    public static PipelineTransform load(byte[] state) { return new PipelineTransform(Pipeline.fromBytes(state, "bundle preprocessing section")); }

    public Pipeline pipeline() { return pipeline; }

    @Override public float[] apply(float[] row) { return pipeline.transform(row); }

    @Override public byte[] save() { return pipeline.toBytes(); }

    @Override public String type() { return TYPE; }

    @Override public int inputSize() {
        int n = 1;
        for (int d : pipeline.inputShape()) n *= d;
        return n;
    }
}
