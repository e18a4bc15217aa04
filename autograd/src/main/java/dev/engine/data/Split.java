package dev.engine.data;

/**
 * A dataset cut into disjoint training, validation and test parts (any part may be empty).
 *
 * <pre>{@code
 * Split s = Splits.trainValTest(data, 0.7, 0.15, 42, true);   // stratified, seed 42
 * fit(s.train()); tune(s.validation()); report(s.test());
 * }</pre>
 */
public record Split(Dataset train, Dataset validation, Dataset test) {}
