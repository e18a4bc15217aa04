package dev.engine.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A horizontal bar chart drawn with java.awt (headless) and saved with ImageIO: engine/peer ratios on
 * top (log scale, bars grow from the 1.0 line), GFLOP/s of every row with a work model below.
 */
final class Chart {
    private static final int WIDTH = 1100, LABEL_W = 520, BAR_H = 18, GAP = 6, TITLE_H = 34, MARGIN = 20;
    private static final Color ENGINE = new Color(0x2E86C1), PEER = new Color(0xAAB7B8), BELOW = new Color(0xE67E22);

    private Chart() {}

    /** One bar: label, value, colour. */
    private record Bar(String label, double value, Color color) {}

    static void write(Path file, List<ResultRow> rows, List<Report.Ratio> ratios) throws IOException {
        List<Bar> top = new ArrayList<>();
        for (Report.Ratio r : ratios) top.add(new Bar(r.label(), r.value(), r.value() >= 1 ? ENGINE : BELOW));
        List<Bar> bottom = new ArrayList<>();
        List<ResultRow> sorted = new ArrayList<>(rows);
        sorted.sort(Comparator.comparing(ResultRow::benchClass).thenComparingInt(r -> rows.indexOf(firstWithParams(rows, r))));
        for (ResultRow r : sorted) {
            double g = Report.gflops(r);
            if (!Double.isNaN(g))
                bottom.add(new Bar(r.simpleClass() + " " + r.shortParams() + ": " + r.method(), g,
                        r.isEngine() ? ENGINE : PEER));
        }
        int h = MARGIN * 2 + panelHeight(top) + panelHeight(bottom) + (top.isEmpty() && bottom.isEmpty() ? 40 : 0);
        BufferedImage img = new BufferedImage(WIDTH, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, h);
            int y = MARGIN;
            if (top.isEmpty() && bottom.isEmpty()) {
                g.setColor(Color.BLACK);
                g.drawString("no comparable rows in this run", MARGIN, y + 20);
            }
            y = panel(g, y, "Engine speed / peer speed, log scale (right of the line at 1.0: engine faster)", top, 1.0);
            panel(g, y, "GFLOP/s (blue: engine, grey: peer)", bottom, Double.NaN);
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer available");
    }

    private static ResultRow firstWithParams(List<ResultRow> rows, ResultRow r) {
        for (ResultRow q : rows) if (q.benchClass().equals(r.benchClass()) && q.params().equals(r.params())) return q;
        return r;
    }

    private static int panelHeight(List<Bar> bars) { return bars.isEmpty() ? 0 : TITLE_H + bars.size() * (BAR_H + GAP) + MARGIN; }

    private static int panel(Graphics2D g, int y, String title, List<Bar> bars, double reference) {
        if (bars.isEmpty()) return y;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, MARGIN, y + 18);
        y += TITLE_H;
        boolean log = !Double.isNaN(reference);   // ratios: log scale, bars grow left or right from 1.0
        double lo = 0, hi = 0;
        for (Bar b : bars) {
            double v = b.value();
            if (Double.isNaN(v) || Double.isInfinite(v) || v <= 0) continue;
            double t = log ? Math.log(v) / Math.log(2) : v;
            lo = Math.min(lo, t);
            hi = Math.max(hi, t);
        }
        if (log) { lo = Math.min(lo, -1); hi = Math.max(hi, 1); }
        if (hi <= lo) hi = lo + 1;
        int x0 = LABEL_W, span = WIDTH - LABEL_W - MARGIN - 70;
        int base = x0 + (int) Math.round(span * (0 - lo) / (hi - lo));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int top = y;
        for (Bar b : bars) {
            g.setColor(Color.DARK_GRAY);
            String label = b.label().length() > 80 ? b.label().substring(0, 77) + "..." : b.label();
            int lw = g.getFontMetrics().stringWidth(label);
            g.drawString(label, Math.max(MARGIN, x0 - 8 - lw), y + BAR_H - 4);
            double v = Double.isNaN(b.value()) || b.value() <= 0 ? 0 : b.value();
            double t = v == 0 ? (log ? lo : 0) : (log ? Math.log(v) / Math.log(2) : v);
            int end = x0 + (int) Math.round(span * (Math.max(lo, Math.min(hi, t)) - lo) / (hi - lo));
            g.setColor(b.color());
            g.fillRect(Math.min(base, end), y, Math.max(Math.abs(end - base), 1), BAR_H);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, v >= 100 ? "%.0f" : "%.3f", v), Math.max(base, end) + 6, y + BAR_H - 4);
            y += BAR_H + GAP;
        }
        if (log) {
            g.setColor(Color.RED);
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[]{5, 4}, 0));
            g.drawLine(base, top - 4, base, y - GAP + 4);
            g.setStroke(new BasicStroke());
        }
        return y + MARGIN;
    }
}
