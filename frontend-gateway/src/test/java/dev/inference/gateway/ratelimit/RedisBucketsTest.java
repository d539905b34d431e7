package dev.inference.gateway.ratelimit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.gateway.metrics.GatewayMetrics;
import io.github.bucket4j.ConsumptionProbe;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The leases of a client's tokens, against a real redis-server and the real script: the gateways
 * together admit the bucket's allowance plus at most a lease each, a refusal from a known empty
 * bucket asks Redis nothing, and a Redis that forgot the script is taught it again.
 */
class RedisBucketsTest {

    private RedisServer redis;
    private RedisClient client;
    private StatefulRedisConnection<String, String> admin;
    /** Calls decided apart, by the per-gateway buckets: none, while Redis answers. */
    private final AtomicInteger decidedApart = new AtomicInteger();

    @BeforeEach
    void startRedis() throws Exception {
        redis = new RedisServer();
        client = RedisClient.create(redis.uri());
        admin = client.connect();
    }

    @AfterEach
    void stopRedis() throws Exception {
        admin.close();
        client.shutdown();
        redis.close();
    }

    @Test
    void twoGatewaysAdmitTheSharedAllowanceAndAtMostALeaseEachMore() throws Exception {
        Limit limit = new Limit(200, 20);
        long lease = RedisBuckets.leaseSize(limit);
        assertEquals(4, lease, "200/s refills 4 tokens in 20 ms");
        try (RedisBuckets first = buckets(limit); RedisBuckets second = buckets(limit)) {
            awaitShared(first, second);
            admin.sync().del("inference-gateway:bucket:busy");
            List<RedisBuckets> both = List.of(first, second);
            long start = System.nanoTime();
            int admitted = 0;
            int refused = 0;
            for (int call = 0; System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2); call++) {
                ConsumptionProbe probe = both.get(call % 2).take("busy").get(1, TimeUnit.SECONDS);
                if (probe.isConsumed()) {
                    admitted++;
                } else {
                    refused++;
                    assertTrue(probe.getNanosToWaitForRefill() > 0 && probe.getNanosToWaitForRefill() <= TimeUnit.MILLISECONDS.toNanos(5),
                            "a token comes back within 1/200 s: " + probe);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double allowance = limit.burst() + limit.perSecond() * seconds;
            assertTrue(admitted <= allowance + 2 * lease, admitted + " admitted in " + seconds + " s, allowance " + allowance);
            assertTrue(admitted >= 0.9 * allowance - 2 * lease, admitted + " admitted in " + seconds + " s, allowance " + allowance);
            assertTrue(refused > admitted, "the loop called faster than the limit: " + refused + " refused");
            assertEquals(0, decidedApart.get());
        }
    }

    @Test
    void aBusyClientAsksRedisOncePerHalfALease() throws Exception {
        Limit limit = new Limit(100_000, 100_000);
        long lease = RedisBuckets.leaseSize(limit);
        assertEquals(2000, lease);
        try (RedisBuckets buckets = buckets(limit)) {
            awaitShared(buckets);
            long asked = scriptsRun();
            // 32 calls in flight at a time, as the edge benchmark's load: each call taken as one ends.
            int calls = 20_000;
            AtomicInteger started = new AtomicInteger();
            AtomicInteger admitted = new AtomicInteger();
            List<CompletableFuture<Void>> callers = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                callers.add(call(buckets, started, admitted, calls));
            }
            CompletableFuture.allOf(callers.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            long scripts = scriptsRun() - asked;
            assertEquals(started.get(), admitted.get());
            // After the first, each script is asked for when half a lease is spent, and grants a half at least;
            // one more may be in flight at the end.
            assertTrue(scripts <= 2 + admitted.get() / (lease / 2), scripts + " scripts for " + admitted + " calls, leases of " + lease);
            assertEquals(0, decidedApart.get());
        }
    }

    private static CompletableFuture<Void> call(RedisBuckets buckets, AtomicInteger started, AtomicInteger admitted, int calls) {
        if (started.incrementAndGet() > calls) {
            started.decrementAndGet();
            return CompletableFuture.completedFuture(null);
        }
        return buckets.take("busy").thenComposeAsync(probe -> {
            if (probe.isConsumed()) {
                admitted.incrementAndGet();
            }
            return call(buckets, started, admitted, calls);
        });
    }

    @Test
    void aRefusalFromAKnownEmptyBucketAsksRedisNothingAndSaysWhenToRetry() throws Exception {
        Limit limit = new Limit(2, 1);
        try (RedisBuckets buckets = buckets(limit)) {
            awaitShared(buckets);
            assertTrue(buckets.take("slow").get(1, TimeUnit.SECONDS).isConsumed(), "the burst");
            await().until(() -> !buckets.take("slow").get(1, TimeUnit.SECONDS).isConsumed());
            long asked = scriptsRun();
            for (int i = 0; i < 100; i++) {
                ConsumptionProbe probe = buckets.take("slow").get(1, TimeUnit.SECONDS);
                assertFalse(probe.isConsumed());
                assertTrue(probe.getNanosToWaitForRefill() <= TimeUnit.MILLISECONDS.toNanos(500), probe.toString());
            }
            assertEquals(asked, scriptsRun(), "refused in the gateway while the shared bucket is known empty");
            TimeUnit.MILLISECONDS.sleep(600);
            assertTrue(buckets.take("slow").get(1, TimeUnit.SECONDS).isConsumed(), "a token refilled at 2/s");
            assertEquals(0, decidedApart.get());
        }
    }

    @Test
    void aRedisThatForgotTheScriptIsTaughtItAgain() throws Exception {
        try (RedisBuckets buckets = buckets(new Limit(1000, 1000))) {
            awaitShared(buckets);
            admin.sync().scriptFlush();
            for (int i = 0; i < 200; i++) {
                assertTrue(buckets.take("client-" + i).get(1, TimeUnit.SECONDS).isConsumed());
            }
            assertEquals(0, decidedApart.get(), "every call decided by the shared bucket");
        }
    }

    @Test
    void aRedisThatStopsAnsweringCostsOneCallTheTimeoutAndIsAskedAgainOnceItAnswers() throws Exception {
        // One token a lease: every call of a fresh client asks Redis.
        try (RedisBuckets buckets = buckets(new Limit(2, 1))) {
            awaitShared(buckets);
            redis.pause();
            try {
                long start = System.nanoTime();
                assertTrue(buckets.take("first").get(5, TimeUnit.SECONDS).isConsumed());
                long waited = System.nanoTime() - start;
                assertTrue(waited < RedisBuckets.TIMEOUT.toNanos() + TimeUnit.MILLISECONDS.toNanos(300),
                        "decided apart after the timeout, waited " + waited / 1_000_000 + " ms");
                assertEquals(1, decidedApart.get());
                start = System.nanoTime();
                buckets.take("second").get(5, TimeUnit.SECONDS);
                assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(100), "then at once, without asking the hung Redis");
                assertEquals(2, decidedApart.get());
            } finally {
                redis.resume();
            }
            awaitShared(buckets);
        }
    }

    private RedisBuckets buckets(Limit limit) {
        Buckets counting = client -> {
            decidedApart.incrementAndGet();
            return CompletableFuture.completedFuture(ConsumptionProbe.consumed(0, 0));
        };
        return new RedisBuckets(redis.uri(), limit, counting, new GatewayMetrics(), System::nanoTime);
    }

    /** The first call connects, decided apart; then the calls reach Redis. */
    private void awaitShared(RedisBuckets... gateways) {
        for (RedisBuckets gateway : gateways) {
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                int before = decidedApart.get();
                gateway.take("warm-up").get(1, TimeUnit.SECONDS);
                return decidedApart.get() == before;
            });
        }
        decidedApart.set(0);
    }

    /** Lease scripts Redis has run, by EVALSHA or EVAL. */
    private long scriptsRun() {
        String stats = admin.sync().info("commandstats");
        long runs = 0;
        Matcher calls = Pattern.compile("cmdstat_eval(?:sha)?:calls=(\\d+)").matcher(stats);
        while (calls.find()) {
            runs += Long.parseLong(calls.group(1));
        }
        return runs;
    }
}
