package dev.inference.api;

import java.time.Duration;
import java.util.Arrays;

/**
 * The histogram buckets of request latency, on the servers and the gateway alike, so that one
 * {@code histogram_quantile} reads both. Fine around 0.1–1 s, where the latency SLO (p95 ≤ 0.4 s)
 * is judged: the alert rules and AnalysisTemplates rely on a bucket boundary at exactly 0.4 s.
 */
public final class LatencyBuckets {

    private static final double[] REQUEST_SECONDS = {0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25,
            0.3, 0.35, 0.4, 0.5, 0.6, 0.75, 1, 1.5, 2, 3, 5, 10};

    private LatencyBuckets() {}

    /** The bucket boundaries of a whole request, from arrival to answer. */
    public static Duration[] request() {
        return durations(REQUEST_SECONDS);
    }

    /** Boundaries given in seconds, as Micrometer's service-level objectives take them. */
    public static Duration[] durations(double... seconds) {
        return Arrays.stream(seconds).mapToObj(value -> Duration.ofNanos((long) (value * 1e9))).toArray(Duration[]::new);
    }
}
