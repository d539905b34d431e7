package dev.inference.gateway.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import java.time.Duration;

/**
 * A client's allowance: {@code perSecond} calls a second on average, up to {@code burst} at once
 * (a token bucket refilled continuously).
 */
public record Limit(double perSecond, long burst) {

    /** Bucket4j refills whole tokens per period; a thousand seconds keeps three decimals of a rate. */
    private static final Duration PERIOD = Duration.ofSeconds(1000);

    public Limit {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("--rate-limit must be a positive number of calls per second, was " + perSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("--rate-limit-burst must be at least 1, was " + burst);
        }
    }

    /** The share of one of {@code replicas} gateways that count apart, never below one call. */
    Limit share(int replicas) {
        return new Limit(perSecond / replicas, Math.max(1, burst / replicas));
    }

    BucketConfiguration bucket() {
        long tokens = Math.max(1, Math.round(perSecond * PERIOD.toSeconds()));
        return BucketConfiguration.builder()
                .addLimit(Bandwidth.builder().capacity(burst).refillGreedy(tokens, PERIOD).build())
                .build();
    }
}
