package dev.inference.gateway.ratelimit;

import com.google.common.cache.CacheBuilder;
import com.google.common.cache.CacheLoader;
import com.google.common.cache.LoadingCache;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Buckets in this gateway's memory, bounded: a client unseen for {@link #IDLE} starts afresh (its
 * bucket would be full by then anyway), and at most {@link #MOST_CLIENTS} are kept, so that
 * anonymous callers from many addresses cannot grow the heap.
 */
final class LocalBuckets implements Buckets {

    static final Duration IDLE = Duration.ofMinutes(10);
    static final long MOST_CLIENTS = 100_000;

    private final LoadingCache<String, Bucket> buckets;

    LocalBuckets(Limit limit) {
        BucketConfiguration configuration = limit.bucket();
        this.buckets = CacheBuilder.newBuilder()
                .maximumSize(MOST_CLIENTS)
                .expireAfterAccess(IDLE)
                .build(CacheLoader.from(client -> Bucket.builder().withNanosecondPrecision()
                        .addLimit(configuration.getBandwidths()[0]).build()));
    }

    @Override
    public CompletableFuture<ConsumptionProbe> take(String client) {
        return CompletableFuture.completedFuture(buckets.getUnchecked(client).tryConsumeAndReturnRemaining(1));
    }
}
