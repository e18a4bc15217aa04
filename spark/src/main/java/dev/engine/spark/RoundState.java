package dev.engine.spark;

import java.io.Serializable;

/** What the driver broadcasts before a round: where training stands and the averaged states to start from. */
record RoundState(int epoch, int round, TensorState model, TensorState optimizer) implements Serializable {}
