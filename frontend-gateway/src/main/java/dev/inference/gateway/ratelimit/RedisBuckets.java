package dev.inference.gateway.ratelimit;

import com.google.common.cache.CacheBuilder;
import com.google.common.cache.CacheLoader;
import com.google.common.cache.LoadingCache;
import com.linecorp.armeria.common.util.Exceptions;
import dev.inference.gateway.metrics.GatewayMetrics;
import io.github.bucket4j.ConsumptionProbe;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Buckets in Redis, so that a client's limit holds across every gateway replica: each gateway takes
 * a client's tokens from the shared bucket several at a time (a {@link Lease}, by one Lua script that
 * Redis runs atomically), and spends them itself.
 *
 * <p>Not Bucket4j's Redis integration: its compare-and-swap costs a GET and an EVAL per exchange,
 * its delaying optimization only helps limits of more than a hundred calls a second, and a lease
 * needs an exchange that grants up to n tokens and says how long until the next when it grants
 * none, which is twenty lines of Lua ({@code lease.lua}).
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
     * Longer than any answer of a healthy Redis (one script of well under a millisecond), short
     * enough that the one call a {@link #RETRY} that finds Redis hung is hardly slowed.
     */
    static final Duration TIMEOUT = Duration.ofMillis(200);
    static final Duration RETRY = Duration.ofSeconds(1);
    private static final Logger log = LoggerFactory.getLogger(RedisBuckets.class);
    /** Not the prefix of Bucket4j's buckets, which this gateway kept before: their values differ. */
    private static final String KEY_PREFIX = "inference-gateway:bucket:";
    /** A lease is what the limit refills in this long. */
    static final Duration LEASE_SPAN = Duration.ofMillis(20);
    private static final String SCRIPT = script("lease.lua");
    private static final String SCRIPT_SHA = sha1(SCRIPT);

    private final RedisURI uri;
    /** host:port, for the log: the URI's own text carries its timeout and could carry a password. */
    private final String address;
    private final ClientResources resources;
    private final RedisClient client;
    private final Buckets fallback;
    private final GatewayMetrics metrics;
    private final LongSupplier nanoClock;
    /** The bucket's refill a second and capacity, as the script reads them. */
    private final String perSecond;
    private final String burst;
    private final AtomicBoolean connecting = new AtomicBoolean();
    private final AtomicBoolean shared = new AtomicBoolean(true);
    /** Until when calls go to the fallback without asking Redis. */
    private final AtomicLong downUntil = new AtomicLong();
    private volatile StatefulRedisConnection<String, String> connection;
    private final LoadingCache<String, Lease> leases;

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
        this.perSecond = Double.toString(limit.perSecond());
        this.burst = Long.toString(limit.burst());
        long size = leaseSize(limit);
        this.leases = CacheBuilder.newBuilder()
                .maximumSize(LocalBuckets.MOST_CLIENTS)
                .expireAfterAccess(LocalBuckets.IDLE)
                .build(CacheLoader.from(client -> new Lease(wanted -> lease(client, wanted), size, nanoClock)));
        this.fallback = fallback;
        this.metrics = metrics;
        this.nanoClock = nanoClock;
        metrics.registerRateLimitShared(() -> shared.get() && connection != null ? 1 : 0);
    }

    /**
     * What the limit refills in {@link #LEASE_SPAN}, at least one token: each gateway may hold 2% of
     * a second's allowance of a client, and a client calling at its limit costs Redis about a
     * hundred scripts a second per gateway, whatever the limit.
     */
    static long leaseSize(Limit limit) {
        return Math.max(1, (long) Math.floor(limit.perSecond() * LEASE_SPAN.toNanos() / 1e9));
    }

    @Override
    public CompletableFuture<ConsumptionProbe> take(String client) {
        if (connection == null || nanoClock.getAsLong() - downUntil.get() < 0) {
            if (connection == null) {
                connect();
            }
            return decidedApart(client);
        }
        return leases.getUnchecked(client).take().exceptionallyCompose(error -> decidedApart(client));
    }

    /** Up to {@code wanted} of the client's tokens from its bucket in Redis. */
    private CompletableFuture<Lease.Grant> lease(String client, long wanted) {
        String[] bucket = {KEY_PREFIX + client};
        String[] arguments = {perSecond, burst, Long.toString(wanted)};
        RedisAsyncCommands<String, String> redis = connection.async();
        return redis.<List<Long>>evalsha(SCRIPT_SHA, ScriptOutputType.MULTI, bucket, arguments).toCompletableFuture()
                // A Redis started afresh has forgotten the script: EVAL teaches it again.
                .exceptionallyCompose(error -> error instanceof RedisNoScriptException
                        ? redis.<List<Long>>eval(SCRIPT, ScriptOutputType.MULTI, bucket, arguments).toCompletableFuture()
                        : CompletableFuture.failedFuture(error))
                .orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .handle((answer, error) -> {
                    if (error != null) {
                        down(error);
                        throw new CompletionException(error);
                    }
                    if (shared.compareAndSet(false, true)) {
                        log.info("Redis at {} answers again: rate limits are shared by every gateway", address);
                    }
                    return new Lease.Grant(answer.get(0), TimeUnit.MICROSECONDS.toNanos(answer.get(1)));
                });
    }

    private CompletableFuture<ConsumptionProbe> decidedApart(String client) {
        metrics.rateLimitFallback();
        return fallback.take(client);
    }

    private void down(Throwable error) {
        Throwable cause = Exceptions.peel(error);
        downUntil.set(nanoClock.getAsLong() + RETRY.toNanos());
        if (shared.compareAndSet(true, false)) {
            log.warn("Redis at {} does not answer ({}): rate limits are per gateway, each a share of the limit, until it does",
                    address, cause.getClass().getSimpleName());
        }
    }

    private void connect() {
        if (nanoClock.getAsLong() - downUntil.get() < 0 || !connecting.compareAndSet(false, true)) {
            return;
        }
        client.connectAsync(StringCodec.UTF8, uri).whenComplete((connected, error) -> {
            connecting.set(false);
            if (error != null) {
                down(error);
                return;
            }
            connection = connected;
            log.info("rate limits shared through Redis at {}", address);
        });
    }

    private static String script(String name) {
        try (InputStream in = RedisBuckets.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-1", e);
        }
    }

    @Override
    public void close() {
        StatefulRedisConnection<String, String> open = connection;
        if (open != null) {
            open.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
