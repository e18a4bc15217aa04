package dev.engine.train;

import dev.engine.api.EngineException;
import java.util.Locale;

/**
 * Accuracy, per-class and macro precision/recall/F1, and the confusion matrix of predicted vs true labels.
 *
 * <pre>{@code
 * var m = ClassificationMetrics.of(predicted, truth, 10);
 * m.accuracy(); m.macroF1(); m.confusion()[trueClass][predictedClass];
 * }</pre>
 */
public final class ClassificationMetrics {
    private final long[][] confusion;
    private final long total;

    private ClassificationMetrics(long[][] confusion, long total) { this.confusion = confusion; this.total = total; }

    public static ClassificationMetrics of(int[] predicted, int[] truth, int classes) {
        if (predicted.length != truth.length)
            throw new EngineException(predicted.length + " predictions for " + truth.length + " labels");
        long[][] c = new long[classes][classes];
        for (int i = 0; i < truth.length; i++) {
            if (truth[i] < 0 || truth[i] >= classes || predicted[i] < 0 || predicted[i] >= classes)
                throw new EngineException("label " + truth[i] + " or prediction " + predicted[i] + " outside [0, " + classes + ")");
            c[truth[i]][predicted[i]]++;
        }
        return new ClassificationMetrics(c, truth.length);
    }

    public int classes() { return confusion.length; }

    /** confusion()[true][predicted]; a copy. */
    public long[][] confusion() {
        long[][] c = new long[confusion.length][];
        for (int i = 0; i < c.length; i++) c[i] = confusion[i].clone();
        return c;
    }

    public double accuracy() {
        long ok = 0;
        for (int i = 0; i < confusion.length; i++) ok += confusion[i][i];
        return total == 0 ? Double.NaN : (double) ok / total;
    }

    public double precision(int c) {
        long col = 0;
        for (long[] row : confusion) col += row[c];
        return col == 0 ? 0 : (double) confusion[c][c] / col;
    }

    public double recall(int c) {
        long row = 0;
        for (long v : confusion[c]) row += v;
        return row == 0 ? 0 : (double) confusion[c][c] / row;
    }

    public double f1(int c) {
        double p = precision(c), r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public double macroPrecision() { double s = 0; for (int c = 0; c < classes(); c++) s += precision(c); return s / classes(); }
    public double macroRecall() { double s = 0; for (int c = 0; c < classes(); c++) s += recall(c); return s / classes(); }
    public double macroF1() { double s = 0; for (int c = 0; c < classes(); c++) s += f1(c); return s / classes(); }

    /** A per-class table plus the confusion matrix, for printing. */
    public String report(java.util.List<String> names) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-10s %9s %9s %9s%n", "class", "precision", "recall", "f1"));
        for (int c = 0; c < classes(); c++) {
            String n = names != null && c < names.size() ? names.get(c) : String.valueOf(c);
            sb.append(String.format(Locale.ROOT, "%-10s %9.4f %9.4f %9.4f%n", n, precision(c), recall(c), f1(c)));
        }
        sb.append(String.format(Locale.ROOT, "%-10s %9.4f %9.4f %9.4f%naccuracy %.4f%nconfusion (rows true, columns predicted):%n",
                "macro", macroPrecision(), macroRecall(), macroF1(), accuracy()));
        int w = 6;
        String[] label = new String[classes()];
        for (int c = 0; c < label.length; c++) {
            String n = names != null && c < names.size() ? names.get(c) : String.valueOf(c);
            label[c] = n.length() > 12 ? n.substring(0, 11) + "~" : n;
            w = Math.max(w, label[c].length() + 1);
        }
        sb.append(String.format(Locale.ROOT, "%-" + w + "s", "true\\pred"));
        for (String l : label) sb.append(String.format(Locale.ROOT, "%" + w + "s", l));
        sb.append('\n');
        for (int c = 0; c < label.length; c++) {
            sb.append(String.format(Locale.ROOT, "%-" + w + "s", label[c]));
            for (long v : confusion[c]) sb.append(String.format(Locale.ROOT, "%" + w + "d", v));
            sb.append('\n');
        }
        return sb.toString();
    }
}
