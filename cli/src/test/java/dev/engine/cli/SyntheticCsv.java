package dev.engine.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Random;

/**
 * A small CSV a user might bring: a numeric column that separates the classes, a categorical colour
 * that mostly follows the class, a noise column, missing values in both, string labels last.
 */
final class SyntheticCsv {
    static final String[] COLORS = {"red", "green", "blue", "white"};

    private SyntheticCsv() {}

    static Path write(Path file, String[] classes, int rowsPerClass, long seed, boolean missing) throws IOException {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder("size,color,noise,label\n");
        int row = 0;
        for (int i = 0; i < rowsPerClass; i++) {
            for (int c = 0; c < classes.length; c++, row++) {
                double size = 3 * c + r.nextGaussian() * 0.4;
                String color = r.nextDouble() < 0.8 ? COLORS[c % COLORS.length] : COLORS[r.nextInt(COLORS.length)];
                String sizeText = missing && row % 7 == 3 ? "" : String.format(Locale.ROOT, "%.3f", size);
                if (missing && row % 11 == 5) color = "NA";
                sb.append(sizeText).append(',').append(color).append(',')
                        .append(String.format(Locale.ROOT, "%.3f", r.nextGaussian())).append(',').append(classes[c]).append('\n');
            }
        }
        Files.writeString(file, sb);
        return file;
    }
}
