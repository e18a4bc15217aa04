package dev.engine.spark;

import org.apache.spark.sql.SparkSession;

/** Local Spark sessions for the tests: quiet, small, no UI. */
final class SparkSessions {
    private SparkSessions() {}

    static SparkSession local(String master) {
        return SparkSession.builder().master(master).appName("engine-spark-test")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .getOrCreate();
    }
}
