package dev.engine.spark;

import dev.engine.api.EngineException;
import dev.engine.inference.Prediction;
import dev.engine.inference.Predictor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.TaskCompletionListener;

/**
 * The task of {@link EnginePredictor}: scores one partition lazily, {@code batchSize} rows per model call,
 * through the JVM's cached {@link Predictor}. Rows keep their order; an invalid row fails the task, is
 * dropped, or is kept with null outputs.
 */
final class ScorePartition implements Function2<Integer, Iterator<Row>, Iterator<Row>> {
    private static final long serialVersionUID = 1L;

    private final Broadcast<byte[]> bundle;
    private final String source;
    private final RowInput input;
    private final RowOutput output;
    private final int batchSize;
    private final String handleInvalid;
    private final int threads;

    ScorePartition(Broadcast<byte[]> bundle, String source, RowInput input, RowOutput output, int batchSize, String handleInvalid, int threads) {
        this.bundle = bundle; this.source = source; this.input = input; this.output = output;
        this.batchSize = batchSize; this.handleInvalid = handleInvalid; this.threads = threads;
    }

    @Override public Iterator<Row> call(Integer partition, Iterator<Row> rows) {
        PredictorCache.Lease lease = PredictorCache.acquire(bundle.id(), bundle::value, source, threads);
        TaskContext ctx = TaskContext.get();
        if (ctx != null) ctx.addTaskCompletionListener((TaskCompletionListener) c -> lease.close());
        return new Scored(lease.predictor(), partition, rows, ctx == null ? lease : null);
    }

    private final class Scored implements Iterator<Row> {
        private final Predictor predictor;
        private final int partition;
        private final Iterator<Row> in;
        private final AutoCloseable closeAtEnd;
        private final List<Row> ready = new ArrayList<>();
        private int next;
        private long seen;

        Scored(Predictor p, int partition, Iterator<Row> in, AutoCloseable closeAtEnd) {
            this.predictor = p; this.partition = partition; this.in = in; this.closeAtEnd = closeAtEnd;
        }

        @Override public boolean hasNext() {
            while (next == ready.size()) {
                ready.clear();
                next = 0;
                if (!in.hasNext()) { closeQuietly(); return false; }
                scoreBatch();
            }
            return true;
        }

        @Override public Row next() {
            if (!hasNext()) throw new NoSuchElementException();
            return ready.get(next++);
        }

        /** Reads up to batchSize rows, sets the invalid ones aside and runs the rest as one batch. */
        private void scoreBatch() {
            int f = predictor.model().inputFeatures();
            List<Row> rows = new ArrayList<>(batchSize);
            float[] x = new float[Math.multiplyExact(batchSize, f)];
            boolean[] valid = new boolean[batchSize];
            int good = 0;
            while (rows.size() < batchSize && in.hasNext()) {
                Row r = in.next();
                long index = seen++;
                try {
                    float[] t = predictor.prepare(input.read(r), "partition " + partition + ", row " + index);
                    System.arraycopy(t, 0, x, good * f, f);
                    valid[rows.size()] = true;
                    good++;
                } catch (EngineException e) {
                    if (handleInvalid.equals("error"))
                        throw new InvalidRowException(e.getMessage() + " (handleInvalid=error; \"skip\" drops such rows, \"keep\" outputs nulls)", e);
                    if (handleInvalid.equals("skip")) continue;
                }
                rows.add(r);
            }
            Prediction[] p = good == 0 ? new Prediction[0]
                    : predictor.predictPrepared(good == batchSize ? x : java.util.Arrays.copyOf(x, good * f), good);
            int k = 0;
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                Object[] values = new Object[r.length() + output.count()];
                for (int j = 0; j < r.length(); j++) values[j] = r.get(j);
                output.write(valid[i] ? p[k++] : null, values, r.length());
                ready.add(RowFactory.create(values));
            }
        }

        private void closeQuietly() {
            if (closeAtEnd == null) return;
            try { closeAtEnd.close(); } catch (Exception e) { /* a lease's close does not throw */ }
        }
    }
}
