package dev.inference.loadtest.stats;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Latencies and outcomes of a run: an HdrHistogram of successful calls' latencies (1 µs to
 * 1 hour, 3 significant digits), read per interval for progress lines while calls record into it
 * from many threads, and counts by status.
 */
public final class LatencyStats {

    static final long HIGHEST_NANOS = 3_600_000_000_000L;
    private static final int DIGITS = 3;

    private final Recorder recorder = new Recorder(HIGHEST_NANOS, DIGITS);
    private final Histogram total = new Histogram(HIGHEST_NANOS, DIGITS);
    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    private Histogram interval;

    /** Records one call: its latency when it succeeded, its status in any case. */
    public void record(String status, long latencyNanos) {
        outcomes.computeIfAbsent(status, ignored -> new LongAdder()).increment();
        if (status.equals("OK")) {
            recorder.recordValue(Math.max(1, Math.min(latencyNanos, HIGHEST_NANOS)));
        }
    }

    /** The latencies recorded since the last call, also added to the total. */
    public synchronized Histogram takeInterval() {
        interval = recorder.getIntervalHistogram(interval);
        total.add(interval);
        return interval.copy();
    }

    /** Every latency recorded so far. */
    public synchronized Histogram total() {
        takeInterval();
        return total.copy();
    }

    /** Calls by status, sorted by status. */
    public Map<String, Long> outcomes() {
        Map<String, Long> sorted = new TreeMap<>();
        outcomes.forEach((status, count) -> sorted.put(status, count.sum()));
        return sorted;
    }

    /** Merges histograms recorded separately, e.g. by several generators. */
    public static Histogram merge(Iterable<Histogram> histograms) {
        Histogram merged = new Histogram(HIGHEST_NANOS, DIGITS);
        histograms.forEach(merged::add);
        return merged;
    }
}
