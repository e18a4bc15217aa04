package dev.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reporting path: a canned JMH result re-rendered, and the quick mode end to end. */
class BenchReportTest {
    private static void assertPng(Path png) throws Exception {
        assertTrue(Files.size(png) > 1000, "chart.png is empty");
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "chart.png is not a readable PNG");
        assertTrue(img.getWidth() > 500 && img.getHeight() > 100);
    }

    @Test
    void cannedJmhJsonGivesRatiosTargetsAndChart(@TempDir Path dir) throws Exception {
        try (InputStream in = getClass().getResourceAsStream("/canned-jmh.json")) {
            Files.copy(in, dir.resolve("jmh.json"));
        }
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("CPU model", "Test CPU");
        facts.put("run", "canned");
        Files.writeString(dir.resolve("facts.json"), MiniJson.write(facts));
        Files.writeString(dir.resolve("memory.json"), MiniJson.write(List.of(Map.of("loop", "gemm", "iterations", 10.0,
                "allocationsPerIteration", 0.0, "liveBytesDelta", 0.0, "peakNativeBytes", 1024.0, "rssDeltaKiB", 0.0))));

        Path md = BenchMain.run(BenchMain.Args.parse(new String[]{"--from-json", dir.toString()}));
        String text = Files.readString(md);
        assertTrue(text.contains("| CPU model | Test CPU |"), text);
        // GEMM: peer 237.5 us, engine 250 us -> 0.950, exactly the target; raw peer has no error (NaN)
        assertTrue(text.contains("engine / peerDirectOpenBlas"), text);
        assertTrue(text.contains("engine / peerRawNative"), text);
        assertTrue(text.contains("| 0.950 ± 0.021 |"), text);
        assertTrue(text.contains("| 0.960 |"), text);
        assertTrue(text.contains("peerDirectOpenBlas >= 0.95 | 0.950 ± 0.021 | met but inconclusive"), text);
        // fused vs unfused: 12.5 / 5 = 2.5
        assertTrue(text.contains("engine / peerUnfused") && text.contains("| 2.500 ±"), text);
        // dispatch 800 ns against the 1 us target
        assertTrue(text.contains("<= 1000 ns/op | 800.0 ns/op | met |"), text);
        // a class the reporter has never seen is paired by the naming convention alone
        assertTrue(text.contains("## FutureInferenceBench") && text.contains("engine / peerOnnxRuntime") && text.contains("| 1.500 ±"), text);
        assertTrue(text.contains("GFLOP/s") && text.contains("Practical FP32 peak"), text);
        assertTrue(text.contains("| gemm | 10 | 0.000 | 0 | 1,024 | 0 |"), text);
        // sample-time rows: p50/p99 shown, ratios between medians (ORT 40 / frozen 20; eager 40 / frozen 20)
        assertTrue(text.contains("| p50 | p99 |") && text.contains("| 20.00 | 50.00 |"), text);
        assertTrue(text.contains("engineFrozen / peerOnnxRuntime >= 1.43 (time ratio < 0.700) | 2.000 ±"), text);
        assertTrue(text.contains("engineFrozen / engineEager >= 1.00 | 2.000 ±"), text);
        assertTrue(!text.contains("engineEager / peerOnnxRuntime >="), "the ORT target applies to engineFrozen only:\n" + text);
        assertPng(dir.resolve("chart.png"));
    }

    @Test
    void quickModeRunsEveryBenchmarkAndWritesAllFiles(@TempDir Path dir) throws Exception {
        Path md = BenchMain.run(BenchMain.Args.parse(new String[]{"--quick", "--out", dir.toString()}));
        List<ResultRow> rows = ResultRow.readJmhJson(dir.resolve("jmh.json"));
        boolean models = Models.available("mlp") && Models.available("lenet");
        List<String> classes = new java.util.ArrayList<>(List.of("GemmBench", "ElementwiseBench", "SoftmaxBench", "Conv2dBench",
                "DispatchBench", "TrainStepBench", "TransformerBench"));
        if (models) classes.addAll(List.of("InferenceBench", "QuantizedInferenceBench"));   // skipped (not failed) in quick mode without the shared models
        for (String cls : classes)
            assertTrue(rows.stream().anyMatch(r -> r.simpleClass().equals(cls) && r.score() > 0), cls + " did not run");
        String text = Files.readString(md);
        assertTrue(text.startsWith("# Engine benchmark report"));
        for (String s : List.of("## Machine", "OpenBLAS core", "OPENBLAS_CORETYPE", "JVM", "GPU", "engine / peerDirectOpenBlas",
                "engine / peerUnfused", "## Memory"))
            assertTrue(text.contains(s), "report lacks " + s + ":\n" + text);
        assertTrue(text.contains("| gemm 256x256 (engine) |"), text);
        assertPng(dir.resolve("chart.png"));
        assertTrue(Files.exists(dir.resolve("facts.json")) && Files.exists(dir.resolve("memory.json")) && Files.exists(dir.resolve("paired.json")));
        assertTrue(text.contains("GEMM cross-check: interleaved medians"), text);
        assertTrue(text.contains("| train step mlp (batch 128, Adam) |"), text);
        assertEquals(3 * 2 + 2 + (models ? 2 * 5 + 2 * 19 : 0) + 2 * 3, Report.ratios(rows).size(),
                "GEMM: 3 sizes x 2 peers; elementwise: 2 sizes; inference (quick: mlp:1, lenet:1): frozen/ORT, imported/ORT, eager/ORT, "
                        + "frozen/eager, imported/eager; int8 (same configs): 5 engine rows (frozen, int8, int8 dynamic, int8 conv, bf16) "
                        + "x 3 peers (ORT FP32, ORT on the QDQ export, ORT on the QDQ export with int8 convs) + 4 over frozen; transformer (batch 1, 8): frozen/ORT, eager/ORT, frozen/eager");
    }
}
