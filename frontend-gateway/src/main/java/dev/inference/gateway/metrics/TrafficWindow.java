package dev.inference.gateway.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The last few minutes of traffic per track, in one-second slots, for the UI's live panel:
 * requests per second, p95 latency and error rate. Prometheus keeps the long history; this only
 * answers "what is happening right now" without a Prometheus nearby.
 */
public final class TrafficWindow {

    /** Upper bounds of the latency buckets, in milliseconds; the last one catches everything. */
    static final double[] BUCKET_MILLIS = {
        1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750,
        1000, 1500, 2000, 3000, 5000, 10000, Double.MAX_VALUE
    };

    private final int seconds;
    private final LongSupplier clockMillis;
    private final Map<String, Slot[]> slotsByTrack = new ConcurrentHashMap<>();

    public TrafficWindow(int seconds, LongSupplier clockMillis) {
        this.seconds = seconds;
        this.clockMillis = clockMillis;
    }

    public void record(String track, long nanos, boolean failed) {
        long second = clockMillis.getAsLong() / 1000;
        Slot[] slots = slotsByTrack.computeIfAbsent(track, ignored -> newSlots());
        Slot slot = slots[(int) (second % seconds)];
        synchronized (slot) {
            if (slot.second != second) {
                slot.reset(second);
            }
            slot.count++;
            slot.failed += failed ? 1 : 0;
            slot.buckets[bucketOf(nanos / 1e6)]++;
        }
    }

    /** One point of a track's series. */
    public record Point(long epochSecond, double requestsPerSecond, double p95Millis, double errorRate) {}

    /** Per track: points of {@code step} seconds over the whole window, oldest first. */
    public Map<String, List<Point>> series(int step) {
        long now = clockMillis.getAsLong() / 1000;
        Map<String, List<Point>> series = new LinkedHashMap<>();
        slotsByTrack.keySet().stream().sorted().forEach(track -> {
            List<Point> points = new ArrayList<>();
            for (long end = now - seconds + step; end <= now; end += step) {
                points.add(summarize(track, end - step + 1, end));
            }
            series.put(track, points);
        });
        return series;
    }

    /** A track's summary over the last {@code span} seconds, the current partial second excluded. */
    public Point summary(String track, int span) {
        long now = clockMillis.getAsLong() / 1000;
        return summarize(track, now - span, now - 1);
    }

    private Point summarize(String track, long fromSecond, long toSecond) {
        Slot[] slots = slotsByTrack.get(track);
        long count = 0;
        long failed = 0;
        long[] buckets = new long[BUCKET_MILLIS.length];
        for (long second = fromSecond; second <= toSecond; second++) {
            Slot slot = slots[(int) Math.floorMod(second, (long) seconds)];
            synchronized (slot) {
                if (slot.second == second) {
                    count += slot.count;
                    failed += slot.failed;
                    for (int i = 0; i < buckets.length; i++) {
                        buckets[i] += slot.buckets[i];
                    }
                }
            }
        }
        int span = (int) (toSecond - fromSecond + 1);
        return new Point(toSecond, (double) count / span, percentile(buckets, count, 0.95),
                count == 0 ? 0 : (double) failed / count);
    }

    /** The upper bound of the bucket holding the percentile: an over-estimate by at most one bucket. */
    static double percentile(long[] buckets, long count, double quantile) {
        if (count == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(quantile * count);
        long seen = 0;
        for (int i = 0; i < buckets.length; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return i == buckets.length - 1 ? BUCKET_MILLIS[i - 1] : BUCKET_MILLIS[i];
            }
        }
        return BUCKET_MILLIS[buckets.length - 2];
    }

    static int bucketOf(double millis) {
        for (int i = 0; i < BUCKET_MILLIS.length; i++) {
            if (millis <= BUCKET_MILLIS[i]) {
                return i;
            }
        }
        return BUCKET_MILLIS.length - 1;
    }

    private Slot[] newSlots() {
        Slot[] slots = new Slot[seconds];
        for (int i = 0; i < seconds; i++) {
            slots[i] = new Slot();
        }
        return slots;
    }

    private static final class Slot {
        long second = -1;
        long count;
        long failed;
        final long[] buckets = new long[BUCKET_MILLIS.length];

        void reset(long newSecond) {
            second = newSecond;
            count = 0;
            failed = 0;
            java.util.Arrays.fill(buckets, 0);
        }
    }
}
