package dev.inference.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.delivery.analysis.AnalysisRunner;
import dev.inference.delivery.analysis.AnalysisTemplate;
import dev.inference.delivery.analysis.Phase;
import dev.inference.delivery.analysis.PrometheusQuery;
import dev.inference.delivery.rollout.CanaryStrategy;
import dev.inference.delivery.rollout.LocalRollout;
import dev.inference.gateway.GatewayConfig;
import dev.inference.gateway.GatewayServer;
import dev.inference.loadtest.Corpus;
import dev.inference.loadtest.LoadRun;
import dev.inference.loadtest.client.RestPredictClient;
import dev.inference.loadtest.schedule.NanoClock;
import dev.inference.loadtest.schedule.OpenLoop;
import dev.inference.server.DjlOffline;
import dev.inference.server.InferenceServer;
import dev.inference.server.ServerConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform's promise, end to end on one machine: the real AnalysisTemplates of rollouts/,
 * a real Prometheus scraping real inference servers, real traffic through the real gateway. Each
 * scenario starts its own processes. Time runs 30 times faster than in a cluster: measurements
 * every second instead of 30 s, steps of 10 s instead of 5 min.
 */
class CanaryScenariosTest {

    private static final double TIME_SCALE = 30;
    private static final Map<String, String> ARGS = Map.of("service-name", "inference-server", "canary-hash", "c4n4ry",
            "namespace", "local");
    private static final double TRAFFIC_PER_SECOND = 60;
    /** Figures for the README, printed after each scenario. */
    private static final List<String> FIGURES = new ArrayList<>();

    @TempDir
    Path dir;
    private Process prometheus;
    private InferenceServer stable;
    private InferenceServer canary;
    private GatewayServer gateway;
    private Thread traffic;
    private final AtomicBoolean sending = new AtomicBoolean(true);
    private final List<String> log = new ArrayList<>();

    @BeforeAll
    static void requirePrometheus() {
        Required.that(Files.isExecutable(Path.of("/usr/bin/prometheus")),
                "Debian's prometheus package is not installed (.ci/run installs it)");
        DjlOffline.enforce();
    }

    @Test
    void healthyCanaryStepsUpToTheManualGateAndPromotes() throws Exception {
        startPlatform(true);
        LocalRollout rollout = rollout();

        LocalRollout.Outcome outcome = rollout.run();

        assertEquals(LocalRollout.State.AT_MANUAL_GATE, outcome.state(), String.join("\n", log));
        assertEquals(strategy().steps().stream().map(Object::toString).toList(), outcome.steps(),
                "every step of the Rollout, in its order, up to the manual gate");
        assertEquals(50, weight());
        LocalRollout.Outcome promoted = rollout.promote(outcome);
        assertEquals(LocalRollout.State.PROMOTED, promoted.state());
        assertEquals(100, weight());
        FIGURES.add("healthy canary: at the manual gate after " + outcome.steps().size() + " steps, then promoted");
    }

    @Test
    void slowCanaryIsFailedByTheLatencyMetricSetToWeightZeroAndStopped() throws Exception {
        startPlatform(true, "--inject-latency-ms", "500");

        LocalRollout.Outcome outcome = rollout().run();

        assertAborted(outcome, "inference-canary-latency", "slow canary (--inject-latency-ms 500)");
    }

    @Test
    void erroringCanaryIsFailedByTheErrorRateMetric() throws Exception {
        startPlatform(true, "--inject-error-rate", "0.05");

        LocalRollout.Outcome outcome = rollout().run();

        assertAborted(outcome, "inference-canary-errors", "erroring canary (--inject-error-rate 0.05)");
    }

    @Test
    void canaryWithoutTrafficIsNotFailedButPausedForAHuman() throws Exception {
        startPlatform(false);

        LocalRollout.Outcome outcome = rollout().run();

        assertEquals(LocalRollout.State.PAUSED_INCONCLUSIVE, outcome.state(), String.join("\n", log));
        assertTrue(outcome.deciding().metrics().stream().filter(metric -> !metric.template().equals("inference-canary-traffic"))
                .allMatch(metric -> metric.phase() == Phase.SUCCESSFUL), "no data is no evidence against the canary");
        assertEquals(10, weight(), "neither aborted nor stepped further");
        FIGURES.add("canary without traffic: background analysis Successful, traffic gate Inconclusive, rollout paused at 10%");
    }

    /**
     * The canary is bad from its first call, so the fault begins when traffic reaches it; every
     * call the gateway sent it counts as a user call that met the bad version.
     */
    private void assertAborted(LocalRollout.Outcome outcome, String failingTemplate, String scenario) throws Exception {
        assertEquals(LocalRollout.State.ABORTED, outcome.state(), String.join("\n", log));
        AnalysisRunner.MetricResult failing = outcome.deciding().metrics().stream()
                .filter(metric -> metric.template().equals(failingTemplate) && metric.phase() == Phase.FAILED)
                .findFirst().orElseThrow(() -> new AssertionError(outcome.deciding().toString()));
        assertEquals(0, weight());
        assertTrue(outcome.steps().contains("canary stopped"));
        long canaryCalls = canaryCallsSeenByTheGateway();
        double secondsToAbort = (outcome.abortedAtNanos() - canaryTrafficFromNanos) / 1e9;
        String figure = String.format(Locale.ROOT, "%s: aborted %.1f s after the rollout's first canary weight, on the %d. measurement"
                + " of %s (%d failed; about %d s at the cluster's 30 s interval); %d user calls reached the canary"
                + " (%.0f calls/s overall, 10%% to the canary)", scenario, secondsToAbort, failing.measurements(),
                failingTemplate, failing.failed(), failing.measurements() * 30, canaryCalls, TRAFFIC_PER_SECOND);
        FIGURES.add(figure);
        System.out.println("FIGURE " + figure);
    }

    private static CanaryStrategy strategy() throws Exception {
        return CanaryStrategy.read(Manifests.ROOT.resolve("rollouts/rollout-inference-server.yaml"));
    }

    private LocalRollout rollout() throws Exception {
        AnalysisRunner runner = new AnalysisRunner(new PrometheusQuery("http://127.0.0.1:" + prometheusPort), TIME_SCALE,
                measurement -> log.add(measurement.toString()));
        LocalRollout.Platform platform = new LocalRollout.Platform() {
            @Override
            public void setCanaryWeight(int percent) throws Exception {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(gatewayUrl("/admin/traffic")))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"canaryWeight\":" + percent + "}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode(), response.body());
                if (percent > 0 && canaryTrafficFromNanos == 0) {
                    canaryTrafficFromNanos = System.nanoTime();
                }
            }

            @Override
            public void stopCanary() {
                canary.stop(Duration.ofSeconds(2));
            }
        };
        return new LocalRollout(platform, strategy(), runner, AnalysisTemplate.readAll(Manifests.ROOT.resolve("rollouts")),
                ARGS, TIME_SCALE, log::add);
    }

    private final HttpClient http = HttpClient.newHttpClient();
    private int prometheusPort;
    /** When the rollout first gave the canary a weight: the bad canary's first user calls. */
    private volatile long canaryTrafficFromNanos;

    /** Stable v1 and canary v2 servers, the gateway at 10%, Prometheus, and traffic if asked for. */
    private void startPlatform(boolean withTraffic, String... canaryFaults) throws Exception {
        stable = server("--default-version", "sentiment=1", "--track", "stable");
        List<String> canaryFlags = new ArrayList<>(List.of("--default-version", "sentiment=2", "--track", "canary"));
        canaryFlags.addAll(List.of(canaryFaults));
        canary = server(canaryFlags.toArray(String[]::new));
        gateway = GatewayServer.start(GatewayConfig.parse("--host", "127.0.0.1", "--port", "0",
                "--stable", "127.0.0.1:" + stable.port(), "--canary", "127.0.0.1:" + canary.port(), "--canary-weight", "10"));
        prometheusPort = freePort();
        Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: inference-server
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                        labels: {namespace: local, pod: inference-server-st4ble-0, track: stable, rollouts_pod_template_hash: st4ble}
                      - targets: ["127.0.0.1:%d"]
                        labels: {namespace: local, pod: inference-server-c4n4ry-0, track: canary, rollouts_pod_template_hash: c4n4ry}
                """.formatted(stable.managementPort(), canary.managementPort()));
        prometheus = new ProcessBuilder("/usr/bin/prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + prometheusPort)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        awaitPrometheus();
        // A fresh Prometheus applies its targets on a 5 s timer; in a cluster it scrapes already.
        awaitQuery("count(up{job=\"inference-server\"} == 1) == 2");
        if (withTraffic) {
            traffic = new Thread(() -> {
                try (RestPredictClient client = new RestPredictClient(gatewayUrl(""), "sentiment", "",
                        Map.of("x-model-track", "auto"), 10_000)) {
                    while (sending.get()) {
                        new LoadRun(client, new OpenLoop(TRAFFIC_PER_SECOND, NanoClock.SYSTEM), Corpus.builtIn(), 1)
                                .run("traffic", Duration.ZERO, Duration.ofSeconds(2), new PrintStream(new ByteArrayOutputStream()));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "traffic");
            traffic.start();
            awaitQuery("sum(rate(inference_requests_total{rollouts_pod_template_hash=\"c4n4ry\"}[1m])) > 0");
        }
    }

    /** Waits until an instant query returns a sample. */
    private void awaitQuery(String promql) throws Exception {
        PrometheusQuery query = new PrometheusQuery("http://127.0.0.1:" + prometheusPort);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!query.query(promql).isEmpty()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no result for " + promql + " within 60 s");
    }

    private long canaryCallsSeenByTheGateway() throws Exception {
        String scrape = http.send(HttpRequest.newBuilder(URI.create(gatewayUrl("/metrics"))).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return scrape.lines().filter(line -> line.startsWith("gateway_requests_total{")
                        && line.contains("method=\"Predict\"") && line.contains("track=\"canary\""))
                .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    private int weight() throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create(gatewayUrl("/admin/traffic"))).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return Integer.parseInt(body.replaceAll("[^0-9]", ""));
    }

    private String gatewayUrl(String path) {
        return "http://127.0.0.1:" + gateway.port() + path;
    }

    private static InferenceServer server(String... flags) throws Exception {
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", "0", "--management-port", "0",
                "--model-repository", System.getProperty("inference.modelRepository")));
        args.addAll(List.of(flags));
        return InferenceServer.start(ServerConfig.parse(args.toArray(String[]::new)));
    }

    private void awaitPrometheus() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prometheusPort + "/-/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new AssertionError("Prometheus did not become ready; see " + dir.resolve("prometheus.log"));
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @AfterEach
    void stopEverything() throws Exception {
        sending.set(false);
        if (traffic != null) {
            traffic.join(10_000);
        }
        if (prometheus != null) {
            prometheus.destroy();
            prometheus.waitFor(10, TimeUnit.SECONDS);
        }
        if (gateway != null) {
            gateway.close();
        }
        for (InferenceServer server : new InferenceServer[] {stable, canary}) {
            if (server != null) {
                server.stop(Duration.ofSeconds(1));
            }
        }
    }
}
