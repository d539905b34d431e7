package dev.inference.loadtest.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencyStatsTest {

    private static final long MS = 1_000_000;

    @Test
    void intervalsAddUpToTheTotalAndFailuresOnlyCount() {
        LatencyStats stats = new LatencyStats();
        for (int i = 1; i <= 100; i++) {
            stats.record("OK", i * MS);
        }
        Histogram first = stats.takeInterval();
        stats.record("OK", 500 * MS);
        stats.record("UNAVAILABLE", 1 * MS);
        Histogram second = stats.takeInterval();

        assertEquals(100, first.getTotalCount());
        assertEquals(1, second.getTotalCount(), "the failure has no latency");
        Histogram total = stats.total();
        assertEquals(101, total.getTotalCount());
        assertEquals(500.0, (double) total.getMaxValue() / MS, 1.0);
        assertEquals(Map.of("OK", 101L, "UNAVAILABLE", 1L), stats.outcomes());
    }

    @Test
    void mergedHistogramsHaveThePercentilesOfTheCombinedRecording() {
        Histogram fast = new Histogram(LatencyStats.HIGHEST_NANOS, 3);
        Histogram slow = new Histogram(LatencyStats.HIGHEST_NANOS, 3);
        Histogram together = new Histogram(LatencyStats.HIGHEST_NANOS, 3);
        for (int i = 0; i < 900; i++) {
            fast.recordValue(2 * MS);
            together.recordValue(2 * MS);
        }
        for (int i = 0; i < 100; i++) {
            slow.recordValue(200 * MS);
            together.recordValue(200 * MS);
        }

        Histogram merged = LatencyStats.merge(List.of(fast, slow));

        assertEquals(1000, merged.getTotalCount());
        for (double percentile : new double[] {50, 90, 95, 99, 99.9}) {
            assertEquals(together.getValueAtPercentile(percentile), merged.getValueAtPercentile(percentile));
        }
        assertEquals(200, RunResult.millis(merged.getValueAtPercentile(95)), 0.5);
    }
}
