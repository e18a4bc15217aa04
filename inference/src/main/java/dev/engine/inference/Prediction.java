package dev.engine.inference;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The post-processed result for one input row: the winning class (index, label, probability) for
 * classifiers, per-class scores, the labels above their threshold for multi-label models, and the
 * rescaled values for regression. Immutable.
 *
 * <pre>{@code
 * Prediction p = predictor.predict(row);
 * p.label();          // "7"
 * p.probability();    // 0.98
 * p.topK(3);          // [7 (0.98), 1 (0.01), 9 (0.004)]
 * }</pre>
 */
public final class Prediction {
    /** One ranked class. */
    public record Ranked(int index, String label, double probability) {
        @Override public String toString() { return label + " (" + String.format("%.4f", probability) + ")"; }
    }

    private final int index;
    private final String label;
    private final double probability;
    private final float[] scores;
    private final List<String> labels;
    private final List<String> active;

    Prediction(int index, String label, double probability, float[] scores, List<String> labels, List<String> active) {
        this.index = index; this.label = label; this.probability = probability; this.scores = scores; this.labels = labels;
        this.active = active == null ? List.of() : List.copyOf(active);
    }

    /** Index of the predicted class (-1 for regression). */
    public int index() { return index; }
    /** Name of the predicted class (its index as text when no labels were given; null for regression). */
    public String label() { return label; }
    /** Probability of the predicted class (NaN for regression or raw outputs). */
    public double probability() { return probability; }
    /** Per-output scores: probabilities for classifiers, rescaled values for regression. A copy. */
    public float[] scores() { return scores.clone(); }
    /** Regression outputs after inverse scaling (same as {@link #scores()}). */
    public float[] values() { return scores.clone(); }
    /** For multi-label (and binary) models, the labels whose probability reached their threshold. */
    public List<String> activeLabels() { return active; }

    /** The {@code k} most probable classes, best first. */
    public List<Ranked> topK(int k) {
        List<Ranked> all = new ArrayList<>();
        for (int i = 0; i < scores.length; i++) all.add(new Ranked(i, labelOf(i), scores[i]));
        all.sort((a, b) -> Double.compare(b.probability(), a.probability()));
        return Collections.unmodifiableList(all.subList(0, Math.max(0, Math.min(k, all.size()))));
    }

    private String labelOf(int i) { return labels != null && i < labels.size() ? labels.get(i) : Integer.toString(i); }

    @Override public String toString() {
        return index < 0 ? "Prediction(values=" + java.util.Arrays.toString(scores) + ")"
                : "Prediction(" + label + ", p=" + String.format("%.4f", probability) + (active.isEmpty() ? "" : ", active=" + active) + ")";
    }
}
