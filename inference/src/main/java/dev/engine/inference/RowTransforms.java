package dev.engine.inference;

import dev.engine.data.RowTransform;
import dev.engine.api.ModelFormatException;

/**
 * Loads a {@link RowTransform} from its type name and saved bytes. A plain switch, no registry and no
 * reflection: a new transform type adds its case here.
 *
 * <pre>{@code
 * RowTransform t = RowTransforms.load(saved.type(), saved.save());
 * }</pre>
 */
public final class RowTransforms {
    private RowTransforms() {}

    /** The identity transform. */
    public static final RowTransform IDENTITY = new RowTransform() {
        @Override public float[] apply(float[] row) { return row.clone(); }
        @Override public byte[] save() { return new byte[0]; }
        @Override public String type() { return "identity"; }
    };

    public static RowTransform load(String type, byte[] state) {
        switch (type) {
            case "identity":
                if (state.length != 0) throw new ModelFormatException("preprocessing section: identity takes no state");
                return IDENTITY;
            case AffineTransform.TYPE:
                return AffineTransform.load(state);
            case dev.engine.data.PipelineTransform.TYPE:
                return dev.engine.data.PipelineTransform.load(state);
            default:
                throw new ModelFormatException("preprocessing section: unknown transform type '" + type + "' (known: identity, "
                        + AffineTransform.TYPE + ", " + dev.engine.data.PipelineTransform.TYPE + ")");
        }
    }
}
