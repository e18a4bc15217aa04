package dev.engine.spark;

import org.apache.spark.sql.SparkSession;

/** Local Spark sessions for the tests: quiet, small, no UI. */
final class SparkSessions {
    private SparkSessions() {}

    /**
     * A standalone cluster in miniature: a master and {@code workers} workers in this JVM, each executor its own
     * JVM. Executors start from a Spark home, which Maven tests do not have; an empty one (a {@code jars}
     * folder, see SPARK_HOME in the pom) plus this JVM's class path as the executors' extra class path stands in.
     */
    static SparkSession localCluster(int workers) {
        String home = System.getenv("SPARK_HOME");
        if (home == null) throw new IllegalStateException("SPARK_HOME is not set (the pom sets it for the tests)");
        try {
            java.nio.file.Files.createDirectories(java.nio.file.Path.of(home, "jars"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String opens = System.getProperty("spark.java17.opens", "");
        SparkSession spark = SparkSession.builder().master("local-cluster[" + workers + ",1,1024]").appName("engine-spark-cluster-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .config("spark.executor.extraJavaOptions", opens + " -Xss4m")
                .config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1")
                .getOrCreate();
        // executors register a few seconds apart on a busy machine; jobs started before the last one is up may
        // run every task on the first, so the tests wait for all (the block managers include the driver's)
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (spark.sparkContext().getExecutorMemoryStatus().size() < workers + 1) {
            if (System.nanoTime() > deadline) {
                spark.stop();
                throw new IllegalStateException("only " + (spark.sparkContext().getExecutorMemoryStatus().size() - 1) + " of " + workers
                        + " executors registered within 2 minutes");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return spark;
    }

    static SparkSession local(String master) {
        return SparkSession.builder().master(master).appName("engine-spark-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
    }
}
