package dev.inference.gateway.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TrafficWindowTest {

    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final TrafficWindow window = new TrafficWindow(60, clock::get);

    @Test
    void summarizesRateP95AndErrorsOfTheLastSeconds() {
        for (int second = 0; second < 10; second++) {
            for (int i = 0; i < 20; i++) {
                boolean slow = i == 0;
                window.record("canary", TimeUnit.MILLISECONDS.toNanos(slow ? 900 : 40), i < 2);
            }
            clock.addAndGet(1000);
        }

        TrafficWindow.Point now = window.summary("canary", 10);

        assertEquals(20, now.requestsPerSecond(), 1e-9);
        assertEquals(0.1, now.errorRate(), 1e-9);
        assertEquals(40, now.p95Millis(), "95% of calls took 40 ms");
    }

    @Test
    void oldSlotsAreForgottenWhenTheWindowWrapsAround() {
        window.record("stable", TimeUnit.MILLISECONDS.toNanos(5), false);
        clock.addAndGet(61_000);
        window.record("stable", TimeUnit.MILLISECONDS.toNanos(5), false);
        clock.addAndGet(1000);

        List<TrafficWindow.Point> series = window.series(60).get("stable");

        assertEquals(1, series.size());
        assertEquals(1.0 / 60, series.get(0).requestsPerSecond(), 1e-9);
    }

    @Test
    void percentileIsTheUpperBoundOfItsBucket() {
        long[] buckets = new long[TrafficWindow.BUCKET_MILLIS.length];
        buckets[TrafficWindow.bucketOf(12)] = 95;
        buckets[TrafficWindow.bucketOf(480)] = 5;

        assertEquals(15, TrafficWindow.percentile(buckets, 100, 0.95));
        assertEquals(500, TrafficWindow.percentile(buckets, 100, 0.99));
        assertEquals(0, TrafficWindow.percentile(new long[buckets.length], 0, 0.95));
    }
}
