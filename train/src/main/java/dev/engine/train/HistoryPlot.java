package dev.engine.train;

import dev.engine.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Draws a {@link History} as a two-panel line chart (losses; other metrics) with java.awt, headless. */
final class HistoryPlot {
    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};
    private static final int W = 900, PANEL = 300, PAD = 50;

    private HistoryPlot() {}

    static void write(History h, Path file) {
        System.setProperty("java.awt.headless", "true");
        List<String> losses = new ArrayList<>(), others = new ArrayList<>();
        for (String m : h.metricNames()) (m.contains("loss") ? losses : others).add(m);
        BufferedImage img = new BufferedImage(W, 2 * PANEL + PAD, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        Text text = new Text();
        panel(g, text, h, losses, 0, "loss per epoch");
        panel(g, text, h, others, PANEL + PAD / 2, "metrics per epoch");
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new dev.engine.api.EngineException("plot: cannot encode PNG for " + file, e);
        }
        AtomicFiles.write(file, out.toByteArray());
    }

    /**
     * Draws labels while the machine can render text: where it has no fonts (a bare GPU machine: no fontconfig,
     * no libharfbuzz) the first failure turns labels off and the curves are drawn without them.
     */
    private static final class Text {
        private boolean off;

        void draw(Graphics2D g, String s, int x, int y) {
            if (off) return;
            try {
                g.drawString(s, x, y);
            } catch (RuntimeException | LinkageError e) {
                off = true;
            }
        }
    }

    private static void panel(Graphics2D g, Text text, History h, List<String> names, int top, String title) {
        int left = PAD + 20, right = W - 180, y0 = top + PAD / 2, y1 = top + PANEL - PAD / 2;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        text.draw(g, title, left, top + 18);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawRect(left, y0, right - left, y1 - y0);
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (String n : names) for (double v : h.series(n)) if (!Double.isNaN(v) && !Double.isInfinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        int count = h.size();
        if (names.isEmpty() || count == 0 || lo > hi) {
            text.draw(g, "(nothing recorded)", left + 10, (y0 + y1) / 2);
            return;
        }
        if (hi == lo) { hi += 0.5; lo -= 0.5; }
        text.draw(g, String.format(Locale.ROOT, "%.4g", hi), 2, y0 + 10);
        text.draw(g, String.format(Locale.ROOT, "%.4g", lo), 2, y1);
        text.draw(g, "epoch 1", left, y1 + 14);
        text.draw(g, "epoch " + count, right - 50, y1 + 14);
        g.setStroke(new BasicStroke(2f));
        for (int k = 0; k < names.size(); k++) {
            double[] s = h.series(names.get(k));
            g.setColor(COLORS[k % COLORS.length]);
            int px = -1, py = -1;
            for (int i = 0; i < s.length; i++) {
                if (Double.isNaN(s[i])) { px = -1; continue; }
                int x = count == 1 ? (left + right) / 2 : left + (int) ((long) (right - left) * i / (count - 1));
                int y = y1 - (int) ((s[i] - lo) / (hi - lo) * (y1 - y0));
                if (px >= 0) g.drawLine(px, py, x, y); else g.fillOval(x - 2, y - 2, 4, 4);
                px = x;
                py = y;
            }
            text.draw(g, names.get(k), right + 12, y0 + 16 + 16 * k);
        }
    }
}
