package dev.inference.gateway.ratelimit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.gateway.GatewayProcess;
import dev.inference.gateway.TestPlatform;
import dev.inference.gateway.access.TestKeys;
import dev.inference.server.InferenceServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two gateway processes sharing their buckets through a real Redis: a client's limit holds in total
 * across both, a client within its limit is never refused, and a Redis that dies mid-run costs no
 * failed call and no unlimited window, after which the shared limit holds again.
 */
class SharedRateLimitTest {

    /** Calls a second per client, and the burst. */
    private static final int LIMIT = 10;
    private static final int BURST = 10;

    @TempDir
    Path dir;

    @Test
    void aClientsLimitHoldsAcrossGatewaysAndThroughARedisOutage() throws Exception {
        Path keys = Files.writeString(dir.resolve("api-keys"), TestKeys.line("heavy", "key-heavy") + "\n"
                + TestKeys.line("light", "key-light") + "\n");
        InferenceServer server = TestPlatform.inferenceServer();
        try (RedisServer redis = new RedisServer();
                GatewayProcess first = gateway("shared-rate-limit-1.log", server, redis, keys);
                GatewayProcess second = gateway("shared-rate-limit-2.log", server, redis, keys)) {
            List<GatewayProcess> both = List.of(first, second);
            awaitShared(both);

            Tally shared = measure(both, Duration.ofSeconds(6));
            assertWithinTenPercent(LIMIT * shared.seconds, shared.accepted("heavy"), "heavy, across both gateways: " + shared);
            assertEquals(0, shared.refused("light"), "a client at half its limit is never refused: " + shared);
            assertEquals(0, shared.failed(), "no call fails because of the limiter: " + shared);

            redis.kill();
            // Each gateway now counts half the limit alone: the limit in total, neither unlimited nor closed.
            Tally outage = measure(both, Duration.ofSeconds(4));
            assertWithinTenPercent(LIMIT * outage.seconds, outage.accepted("heavy"), "while Redis is down: " + outage);
            assertEquals(0, outage.refused("light"), outage.toString());
            assertEquals(0, outage.failed(), "no 5xx while Redis is down: " + outage);

            redis.start();
            awaitShared(both);
            Tally again = measure(both, Duration.ofSeconds(5));
            assertWithinTenPercent(LIMIT * again.seconds, again.accepted("heavy"), "shared again: " + again);
            assertEquals(0, again.failed(), again.toString());

            for (GatewayProcess gateway : both) {
                String log = gateway.log();
                assertTrue(log.contains("does not answer"), "one line when Redis went away:\n" + log);
                assertTrue(log.contains("answers again") || log.contains("rate limits shared through Redis"), log);
                assertTrue(log.contains("429 GET /v1/models") && log.contains("client=heavy"), "refusals name the client:\n" + log);
                assertFalse(log.contains("key-heavy"), "never the credential");
                assertTrue(get(gateway, "/metrics").contains("gateway_rate_limited_total{client=\"heavy\"}"));
            }
        } finally {
            server.stop(Duration.ofSeconds(2));
        }
    }

    /** Redis is reached on a call, so each gateway is called (by the light client) until it says its limits are shared. */
    private static void awaitShared(List<GatewayProcess> gateways) {
        for (GatewayProcess gateway : gateways) {
            await("rate limits shared through Redis by " + gateway.log).atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        call(gateway, "key-light").join();
                        return get(gateway, "/metrics").contains("gateway_rate_limit_shared 1.0");
                    });
        }
    }

    private static GatewayProcess gateway(String log, InferenceServer server, RedisServer redis, Path keys) throws Exception {
        return GatewayProcess.start(log, "--upstream", "127.0.0.1:" + server.port(), "--api-keys-file", keys.toString(),
                "--rate-limit", String.valueOf(LIMIT), "--rate-limit-burst", String.valueOf(BURST),
                "--redis", redis.uri(), "--rate-limit-replicas", "2");
    }

    /**
     * The traffic of {@link #run} for a second, to empty heavy's bucket of its burst, then for
     * {@code duration}, counted: heavy then gets its rate, no more, no less.
     */
    private static Tally measure(List<GatewayProcess> gateways, Duration duration) throws Exception {
        run(gateways, Duration.ofSeconds(1));
        return run(gateways, duration);
    }

    /**
     * For {@code duration}: client heavy at three times its limit, client light at half of it, each
     * call to the two gateways in turn. Counts what each got.
     */
    private static Tally run(List<GatewayProcess> gateways, Duration duration) throws Exception {
        List<CompletableFuture<String>> calls = new ArrayList<>();
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) / (3 * LIMIT);
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        int tick = 0;
        for (long next = start; next < end; next += intervalNanos, tick++) {
            long sleep = next - System.nanoTime();
            if (sleep > 0) {
                TimeUnit.NANOSECONDS.sleep(sleep);
            }
            GatewayProcess gateway = gateways.get(tick % gateways.size());
            calls.add(call(gateway, "key-heavy").thenApply(status -> "heavy " + status));
            if (tick % 6 == 0) {
                calls.add(call(gateway, "key-light").thenApply(status -> "light " + status));
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Integer> counts = new TreeMap<>();
        for (CompletableFuture<String> call : calls) {
            counts.merge(call.get(30, TimeUnit.SECONDS), 1, Integer::sum);
        }
        return new Tally(counts, seconds);
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static CompletableFuture<Integer> call(GatewayProcess gateway, String key) {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create(gateway.url("/v1/models"))).header("x-api-key", key).build(),
                HttpResponse.BodyHandlers.discarding()).thenApply(HttpResponse::statusCode);
    }

    private static String get(GatewayProcess gateway, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(gateway.url(path))).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void assertWithinTenPercent(double expected, int actual, String what) {
        assertTrue(Math.abs(actual - expected) <= 0.1 * expected, what + ": expected " + expected + " ± 10%, got " + actual);
    }

    /** Statuses per client ("heavy 200" → count) over a run of {@code seconds}. */
    private record Tally(Map<String, Integer> counts, double seconds) {

        int accepted(String client) {
            return counts.getOrDefault(client + " 200", 0);
        }

        int refused(String client) {
            return counts.getOrDefault(client + " 429", 0);
        }

        int failed() {
            return counts.entrySet().stream().filter(entry -> !entry.getKey().endsWith(" 200") && !entry.getKey().endsWith(" 429"))
                    .mapToInt(Map.Entry::getValue).sum();
        }
    }
}
