package dev.inference.gateway.ratelimit;

import com.google.common.cache.CacheBuilder;
import com.google.common.cache.CacheLoader;
import com.google.common.cache.LoadingCache;
import dev.inference.gateway.metrics.GatewayMetrics;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.DelayParameters;
import io.github.bucket4j.distributed.proxy.optimization.Optimization;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Buckets in Redis, through Bucket4j's compare-and-swap proxy over Lettuce, so that a client's
 * limit holds across every gateway replica.
 *
 * <p>When Redis cannot be reached (not yet, or no more, or slower than {@link #TIMEOUT}) the call
 * is decided by per-replica buckets of the limit divided by the replicas ({@code fallback}), at
 * once: no call waits on a dead Redis, none fails because of it, and no window is unlimited. Redis
 * is asked again after {@link #RETRY}; the first answer from it makes the shared limit hold again.
 * Each change is one log line; {@code gateway_rate_limit_fallback_total} counts the calls decided
 * apart.
 */
final class RedisBuckets implements Buckets {

    /**
     * Longer than any answer of a healthy Redis (a compare-and-swap is two round trips of well under
     * a millisecond), short enough that the one call a {@link #RETRY} that finds Redis hung is
     * hardly slowed.
     */
    static final Duration TIMEOUT = Duration.ofMillis(200);
    static final Duration RETRY = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(RedisBuckets.class);
    private static final String KEY_PREFIX = "inference-gateway:rate:";
    /** How long a gateway counts a busy client's calls locally before writing them to Redis. */
    static final Duration SYNC_EVERY = Duration.ofMillis(20);
    /** The most calls a gateway counts locally between synchronisations, whatever the limit. */
    static final long MOST_UNSYNCHRONIZED = 50;

    private final RedisURI uri;
    /** host:port, for the log: the URI's own text carries its timeout and could carry a password. */
    private final String address;
    private final ClientResources resources;
    private final RedisClient client;
    private final BucketConfiguration configuration;
    private final Buckets fallback;
    private final GatewayMetrics metrics;
    private final LongSupplier nanoClock;
    private final AtomicBoolean connecting = new AtomicBoolean();
    private final AtomicBoolean shared = new AtomicBoolean(true);
    /** Until when calls go to the fallback without asking Redis. */
    private final AtomicLong downUntil = new AtomicLong();
    private volatile StatefulRedisConnection<byte[], byte[]> connection;
    private volatile AsyncProxyManager<byte[]> proxies;
    /**
     * Each client's bucket proxy, kept, so that Bucket4j's optimizations ({@link #optimization}) can
     * serve a busy client's calls with one compare-and-swap per several calls instead of two Redis
     * round trips per call (measured in loadtest/RESULTS.md).
     */
    private final LoadingCache<String, AsyncBucketProxy> buckets;

    /** Builds the client; the connection is made by the first call, and remade in the background by Lettuce. */
    RedisBuckets(String redis, Limit limit, Buckets fallback, GatewayMetrics metrics, LongSupplier nanoClock) {
        this.uri = RedisURI.create(redis);
        this.uri.setTimeout(TIMEOUT);
        this.address = uri.getHost() + ":" + uri.getPort();
        // Lettuce reconnects with a backoff of up to 30 s by default; a limit shared again a
        // second after Redis is back keeps the per-replica window short.
        this.resources = ClientResources.builder().reconnectDelay(Delay.constant(RETRY)).build();
        this.client = RedisClient.create(resources);
        // Rejecting commands while disconnected, rather than queueing them until Lettuce has
        // reconnected, is what lets a call fall back at once (ClientOptions.DisconnectedBehavior).
        this.client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(TIMEOUT))
                .build());
        this.configuration = limit.bucket();
        this.buckets = CacheBuilder.newBuilder()
                .maximumSize(LocalBuckets.MOST_CLIENTS)
                .expireAfterAccess(LocalBuckets.IDLE)
                .build(CacheLoader.from(client -> proxies.builder()
                        .withOptimization(optimization(limit))
                        .build((KEY_PREFIX + client).getBytes(StandardCharsets.UTF_8),
                                () -> CompletableFuture.completedFuture(configuration))));
        this.fallback = fallback;
        this.metrics = metrics;
        this.nanoClock = nanoClock;
        metrics.registerRateLimitShared(() -> shared.get() && proxies != null ? 1 : 0);
    }

    /**
     * How a client's calls reach Redis. Where the limit refills at least two tokens in
     * {@link #SYNC_EVERY}, Bucket4j's delaying optimization: a gateway takes up to that many tokens
     * (at most {@link #MOST_UNSYNCHRONIZED}) from a local copy of the bucket before writing them back,
     * so each of N gateways may overshoot the shared limit by that much per synchronisation, 2% of a
     * second's allowance. Below that, every call is one exact compare-and-swap, concurrent calls of a
     * client merged into one (its batching optimization).
     */
    static Optimization optimization(Limit limit) {
        long tokens = Math.min(MOST_UNSYNCHRONIZED, (long) Math.floor(limit.perSecond() * SYNC_EVERY.toNanos() / 1e9));
        return tokens < 2 ? Optimizations.batching() : Optimizations.delaying(new DelayParameters(tokens, SYNC_EVERY));
    }

    @Override
    public CompletableFuture<ConsumptionProbe> take(String client) {
        if (proxies == null || nanoClock.getAsLong() - downUntil.get() < 0) {
            if (proxies == null) {
                connect();
            }
            return decidedApart(client);
        }
        return buckets.getUnchecked(client).tryConsumeAndReturnRemaining(1)
                .orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .thenApply(probe -> {
                    if (shared.compareAndSet(false, true)) {
                        log.info("Redis at {} answers again: rate limits are shared by every gateway", address);
                    }
                    return probe;
                })
                .exceptionallyCompose(error -> {
                    down(error);
                    return decidedApart(client);
                });
    }

    private CompletableFuture<ConsumptionProbe> decidedApart(String client) {
        metrics.rateLimitFallback();
        return fallback.take(client);
    }

    private void down(Throwable error) {
        downUntil.set(nanoClock.getAsLong() + RETRY.toNanos());
        if (shared.compareAndSet(true, false)) {
            log.warn("Redis at {} does not answer ({}): rate limits are per gateway, each a share of the limit, until it does",
                    address, error.getClass().getSimpleName());
        }
    }

    private void connect() {
        if (nanoClock.getAsLong() - downUntil.get() < 0 || !connecting.compareAndSet(false, true)) {
            return;
        }
        client.connectAsync(ByteArrayCodec.INSTANCE, uri).whenComplete((connected, error) -> {
            connecting.set(false);
            if (error != null) {
                down(error);
                return;
            }
            connection = connected;
            proxies = Bucket4jLettuce.casBasedBuilder(connected)
                    .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
                    .requestTimeout(TIMEOUT)
                    .build()
                    .asAsync();
            log.info("rate limits shared through Redis at {}", address);
        });
    }

    @Override
    public void close() {
        StatefulRedisConnection<byte[], byte[]> open = connection;
        if (open != null) {
            open.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
