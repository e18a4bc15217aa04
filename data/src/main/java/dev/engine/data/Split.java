package dev.engine.data;

/**
 * A dataset cut into disjoint training, validation and test parts (any part may be empty).
 *
 * <pre>{@code
 * Split s = Splits.trainValTest(data, 0.7, 0.15, 42, Split.STRATIFIED);   // seed 42
 * Split t = data.split(0.8, 0, Split.RANDOM);                             // 80/20, no validation
 * fit(s.train()); tune(s.validation()); report(s.test());
 * }</pre>
 */
public record Split(Dataset train, Dataset validation, Dataset test) {
    /** For the {@code stratified} argument of splits: keep each class's share in every part. */
    public static final boolean STRATIFIED = true;
    /** For the {@code stratified} argument of splits: split all rows at random, ignoring classes. */
    public static final boolean RANDOM = false;
}
