package dev.engine.examples;

import dev.engine.data.Dataset;
import dev.engine.data.Digits;
import dev.engine.inference.Prediction;
import dev.engine.inference.Predictor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Loads a bundle written by {@code engine train} and answers the shipped digits rows from many threads at
 * once; checks that every thread gets exactly the single-threaded answers. Exit code 1 if not.
 *
 * <pre>
 * java -cp ... dev.engine.examples.ServePredictions digits.model [threads]
 * </pre>
 */
public final class ServePredictions {
    public static void main(String[] args) throws Exception {
        Path bundle = Path.of(args.length > 0 ? args[0] : "digits.model");
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        Dataset rows = Digits.load();   // raw pixel rows 0..16; the bundle holds its own preprocessing
        try (Predictor predictor = Predictor.load(bundle)) {
            String[] expected = new String[rows.size()];
            int correct = 0;
            for (int i = 0; i < rows.size(); i++) {
                expected[i] = predictor.predict(rows.row(i)).label();
                if (expected[i].equals(Integer.toString(rows.label(i)))) correct++;
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<Integer>> mismatches = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int offset = t * 97;   // each thread walks the rows from a different place
                mismatches.add(pool.submit(() -> {
                    int bad = 0;
                    for (int k = 0; k < rows.size(); k++) {
                        int i = (k + offset) % rows.size();
                        Prediction p = predictor.predict(rows.row(i));
                        if (!p.label().equals(expected[i])) bad++;
                    }
                    return bad;
                }));
            }
            int bad = 0;
            for (Future<Integer> f : mismatches) bad += f.get();
            pool.shutdown();
            System.out.printf("served %d predictions from %d threads, %d differ from the single-threaded answers; "
                    + "accuracy on all digits rows %.4f%n", (long) threads * rows.size(), threads, bad, (double) correct / rows.size());
            if (bad != 0) System.exit(1);
        }
    }
}
