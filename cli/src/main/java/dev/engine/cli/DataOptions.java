package dev.engine.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The data options train, eval and tune share: what to read, how to split it, how to prepare a CSV. */
final class DataOptions {
    @Option(names = "--data", defaultValue = "digits",
            description = "digits (shipped), a CSV file, or a directory of IDX files. Default: ${DEFAULT-VALUE}")
    String data;
    @Option(names = "--label-column", defaultValue = "1",
            description = "CSV label column: a header name or a 1-based index. Default: ${DEFAULT-VALUE}")
    String labelColumn;
    @Option(names = "--val-fraction", defaultValue = "0.1",
            description = "Validation share (early stopping, LR plateau, tune ranking): of all CSV rows, or of the training part "
                    + "of digits/IDX data; stratified and seeded. Default: ${DEFAULT-VALUE}")
    double valFraction;
    @Option(names = "--test-fraction",
            description = "CSV test share, used once after training (default 0.2; digits and IDX data have a fixed test part)")
    Double testFraction;
    @Option(names = "--delimiter", defaultValue = ",", description = "CSV field delimiter, e.g. ';' or '\\t'. Default: ${DEFAULT-VALUE}")
    String delimiter;
    @Option(names = "--categorical", split = ",",
            description = "CSV columns to read as categories (names or 1-based indices); columns with non-numbers are detected anyway")
    List<String> categorical = new ArrayList<>();
    @Option(names = "--encode", defaultValue = "onehot", description = "Encoding of categorical CSV columns: onehot or ordinal. Default: ${DEFAULT-VALUE}")
    String encode;
    @Option(names = "--impute", defaultValue = "median",
            description = "Fill for missing CSV values (empty, NA, ?, NaN): median, mean, most-frequent or constant:VALUE. Default: ${DEFAULT-VALUE}")
    String impute;
}
