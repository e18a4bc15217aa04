/**
 * Data for training and inference, on plain Java arrays (no tensors): datasets, readers, preprocessing,
 * splits and batching.
 *
 * <ul>
 *   <li>{@link dev.engine.data.Dataset}: immutable rows of float features with labels or targets.</li>
 *   <li>Readers: {@link dev.engine.data.Csv}, {@link dev.engine.data.Idx} (MNIST / Fashion-MNIST),
 *       {@link dev.engine.data.Npy}; the shipped {@link dev.engine.data.Digits}. A malformed file fails
 *       with a {@link dev.engine.data.DataFormatException} naming the file, the line or byte offset and
 *       the problem.</li>
 *   <li>Preprocessing fitted on training data only: {@link dev.engine.data.Pipeline} of
 *       {@link dev.engine.data.Preprocessor} steps, saved with the model.</li>
 *   <li>{@link dev.engine.data.Splits} and {@link dev.engine.data.KFold}: seeded, optionally stratified.</li>
 *   <li>{@link dev.engine.data.DataLoader}: seeded per-epoch shuffling, batching, background prefetch.</li>
 * </ul>
 *
 * <pre>{@code
 * Split s = Digits.trainTestSplit();
 * Pipeline prep = Pipeline.of(new Scale(1f / 16)).fit(s.train());
 * prep.save(Path.of("digits.pipeline"));
 * try (DataLoader loader = DataLoader.builder(prep.applyTraining(s.train())).batchSize(32).seed(0).build()) {
 *     for (int epoch = 0; epoch < 30; epoch++) {
 *         try (DataLoader.Epoch batches = loader.epoch(epoch)) {
 *             while (batches.hasNext()) {
 *                 Batch b = batches.next();   // b.features(): 32 x 64 floats, b.labels(): 32 ints
 *             }
 *         }
 *     }
 * }
 * }</pre>
 */
package dev.engine.data;
