package dev.engine.spark;

import java.io.Serializable;

/**
 * What the driver broadcasts before a round: where training stands, the batches in an epoch of the largest
 * shard (the steps every worker takes part in when averaging gradients) and the states to start from.
 */
record RoundState(int epoch, int round, int epochSteps, TensorState model, TensorState optimizer) implements Serializable {}
