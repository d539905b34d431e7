package dev.inference.server.batching;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What a forward pass of one model version costs on the machine it serves on, learned from the
 * passes it runs: for each batch size and bucket of padded length (powers of two of the length
 * units the batcher pads: tokens, or 1 for a tensor model's rows), the median nanoseconds per
 * padded unit of the last few passes. The warm-up's varied batches seed it; serving keeps it current.
 *
 * <p>A batch size never measured is interpolated from its measured neighbours. An estimate not
 * refreshed within {@link #STALE_AFTER} passes is left out, so that a batch shape the batcher has
 * stopped running together is predicted from what it still runs. Whichever side of a decision
 * the batcher stopped running (batches, or the singles they are weighed against) is now and then
 * ({@link #explore}) run again and measured anew: a cost that changes while serving (another
 * process on the core, a cooler CPU) changes the decisions.
 * Thread-safe without locks: workers update after each pass, and a lost update of a mean is harmless.
 */
final class BatchCosts {

    static final int STALE_AFTER = 64;
    /**
     * At most one batch in this many passes runs together only to measure a shape whose estimate
     * is stale: enough to notice within seconds that batches became cheaper, and on a model whose
     * batches cost more, a cost of a fraction of a percent (one batch of eight in 256 passes,
     * say 30% dearer, is 8 × 0.3 / 256 ≈ 1% at the very worst).
     */
    static final int EXPLORE_EVERY = 256;
    private static final int LENGTH_BUCKETS = 20;
    /** Passes remembered per batch size and length bucket; the estimate is their median. */
    private static final int WINDOW = 3;

    private final int maxBatchSize;
    /** Double bits of the last {@link #WINDOW} passes' nanoseconds per padded unit, per slot. */
    private final AtomicLongArray recent;
    /** Passes measured per slot since it was last stale. */
    private final AtomicLongArray counts;
    /** The pass count when each slot was last measured. */
    private final AtomicLongArray measuredAt;
    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong explored = new AtomicLong(-EXPLORE_EVERY);

    BatchCosts(int maxBatchSize) {
        this.maxBatchSize = maxBatchSize;
        this.recent = new AtomicLongArray(maxBatchSize * LENGTH_BUCKETS * WINDOW);
        this.counts = new AtomicLongArray(maxBatchSize * LENGTH_BUCKETS);
        this.measuredAt = new AtomicLongArray(maxBatchSize * LENGTH_BUCKETS);
    }

    /** A pass over {@code size} inputs padded to {@code longest} took {@code nanos}. */
    void measured(int size, int longest, long nanos) {
        long pass = passes.incrementAndGet();
        int slot = slot(size, longest);
        if (pass - measuredAt.get(slot) > STALE_AFTER) {
            counts.set(slot, 0);
        }
        long count = counts.getAndIncrement(slot);
        recent.set(slot * WINDOW + (int) (count % WINDOW),
                Double.doubleToRawLongBits((double) nanos / ((long) size * Math.max(1, longest))));
        measuredAt.set(slot, pass);
    }

    /**
     * Predicted nanoseconds of a pass over {@code size} inputs padded to {@code longest}: the
     * measured cost per unit of that batch size, or else interpolated between the nearest batch
     * sizes measured in the same length bucket (the nearest one where there is only one side); NaN
     * when no size of the bucket has a fresh measurement.
     */
    double predict(int size, int longest) {
        int target = Math.min(size, maxBatchSize);
        int below = 0;
        int above = 0;
        for (int candidate = target; candidate >= 1 && below == 0; candidate--) {
            below = fresh(candidate, longest) ? candidate : 0;
        }
        for (int candidate = target; candidate <= maxBatchSize && above == 0; candidate++) {
            above = fresh(candidate, longest) ? candidate : 0;
        }
        double perUnit;
        if (below == 0 && above == 0) {
            return Double.NaN;
        } else if (below == 0 || above == 0 || below == above) {
            perUnit = perUnit(below != 0 ? below : above, longest);
        } else {
            double low = perUnit(below, longest);
            perUnit = low + (perUnit(above, longest) - low) * (target - below) / (above - below);
        }
        return perUnit * size * Math.max(1, longest);
    }

    /**
     * Predicted nanoseconds of running one input of {@code length} alone: the last passes of
     * singles of its length bucket, however long ago (singles are what a batch is weighed
     * against, and a batcher that has batched for a while has run none lately, but for its
     * explorations); NaN when no single of the bucket has run yet.
     */
    double predictAlone(int length) {
        int slot = slot(1, length);
        return counts.get(slot) == 0 ? Double.NaN : perUnit(1, length) * Math.max(1, length);
    }

    /**
     * Whether a batch whose decision rests on a stale estimate may go the other way once, to
     * measure that side anew: true for at most one batch every {@link #EXPLORE_EVERY} passes.
     */
    boolean explore() {
        long now = passes.get();
        long last = explored.get();
        return now - last >= EXPLORE_EVERY && explored.compareAndSet(last, now);
    }

    /** Whether a pass of this size and length bucket was measured within the last {@link #STALE_AFTER} passes. */
    boolean fresh(int size, int longest) {
        int slot = slot(size, longest);
        return counts.get(slot) > 0 && passes.get() - measuredAt.get(slot) <= STALE_AFTER;
    }

    /**
     * The median of the slot's remembered passes, or the lower of two: a pass's time is noisy
     * upwards only (a preempted worker takes longer), so one outlier never moves the estimate, and
     * a real change of cost shows after two passes.
     */
    private double perUnit(int size, int longest) {
        int slot = slot(size, longest);
        int remembered = (int) Math.min(WINDOW, counts.get(slot));
        double[] values = new double[remembered];
        for (int i = 0; i < remembered; i++) {
            values[i] = Double.longBitsToDouble(recent.get(slot * WINDOW + i));
        }
        java.util.Arrays.sort(values);
        return values[(remembered - 1) / 2];
    }

    private int slot(int size, int longest) {
        int bucket = Math.min(LENGTH_BUCKETS - 1, 32 - Integer.numberOfLeadingZeros(Math.max(1, longest) - 1));
        return (Math.min(size, maxBatchSize) - 1) * LENGTH_BUCKETS + bucket;
    }
}
