package dev.inference.rollouts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.gateway.GatewayConfig;
import dev.inference.gateway.GatewayServer;
import dev.inference.loadtest.Corpus;
import dev.inference.loadtest.LoadRun;
import dev.inference.loadtest.client.OpenInferenceGrpcClient;
import dev.inference.loadtest.client.PredictClient;
import dev.inference.loadtest.client.RestPredictClient;
import dev.inference.loadtest.schedule.NanoClock;
import dev.inference.loadtest.schedule.OpenLoop;
import dev.inference.rollouts.analysis.AnalysisRunner;
import dev.inference.rollouts.analysis.AnalysisTemplate;
import dev.inference.rollouts.analysis.Phase;
import dev.inference.rollouts.analysis.PrometheusQuery;
import dev.inference.rollouts.orchestration.CanaryStrategy;
import dev.inference.rollouts.orchestration.LocalRollout;
import dev.inference.server.DjlOffline;
import dev.inference.server.FreePorts;
import dev.inference.server.InferenceServer;
import dev.inference.server.Required;
import dev.inference.server.ServerConfig;
import dev.inference.server.bench.TabularMlp;
import dev.inference.server.model.EmbeddingRepositories;
import dev.inference.server.model.ModelRepositoryCopies;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
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
    /** Of the unpinned calls, the share the gateway also sends to the other track and compares. */
    private static final double SHADOW_PERCENT = 25;

    @TempDir
    Path dir;
    private Process prometheus;
    private InferenceServer stable;
    private InferenceServer canary;
    private GatewayServer gateway;
    private Thread traffic;
    private final AtomicBoolean sending = new AtomicBoolean(true);
    private final List<String> log = new ArrayList<>();

    /** The AnalysisTemplates of rollouts/, by name. */
    private static Map<String, AnalysisTemplate> templates;

    @BeforeAll
    static void requirePrometheus() throws Exception {
        Required.that(Files.isExecutable(Path.of("/usr/bin/prometheus")),
                "Debian's prometheus package is not installed (.ci/run installs it)");
        DjlOffline.enforce();
        templates = AnalysisTemplate.readAll(Manifests.ROOT.resolve("rollouts"));
    }

    @Test
    void healthyCanaryStepsUpToTheManualGateAndPromotes() throws Exception {
        startPlatform(true, SHADOW_PERCENT, UnaryOperator.identity());
        LocalRollout rollout = rollout();

        LocalRollout.Outcome outcome = rollout.run();

        assertEquals(LocalRollout.State.AT_MANUAL_GATE, outcome.state(), String.join("\n", log));
        assertEquals(strategy().steps().stream().map(Object::toString).toList(), outcome.steps(),
                "every step of the Rollout, in its order, up to the manual gate");
        assertEquals(50, weight());
        LocalRollout.Outcome promoted = rollout.promote(outcome);
        assertEquals(LocalRollout.State.PROMOTED, promoted.state());
        assertEquals(100, weight());
        double agreement = prometheus().query("sum(inference_shadow_comparisons_total{outcome=\"agree\"})"
                + " / sum(inference_shadow_comparisons_total)").get(0);
        assertTrue(agreement >= 0.7, "version 2 agrees with version 1 above min-agreement: " + agreement);
        figure(String.format(Locale.ROOT, "healthy canary (version 2): at the manual gate after %d steps, then"
                + " promoted; it agreed with version 1 on %.1f%% of the shadowed texts", outcome.steps().size(), 100 * agreement));
    }

    @Test
    void slowCanaryIsFailedByTheLatencyMetricSetToWeightZeroAndStopped() throws Exception {
        startPlatform(true, SHADOW_PERCENT, canary -> canary.injectLatency(Duration.ofMillis(500)));

        LocalRollout.Outcome outcome = rollout().run();

        assertAborted(outcome, "inference-canary-latency", "slow canary (--inject-latency-ms 500)");
    }

    @Test
    void erroringCanaryIsFailedByTheErrorRateMetric() throws Exception {
        startPlatform(true, SHADOW_PERCENT, canary -> canary.injectErrorRate(0.05));

        LocalRollout.Outcome outcome = rollout().run();

        assertAborted(outcome, "inference-canary-errors", "erroring canary (--inject-error-rate 0.05)");
    }

    /**
     * Version 2 with its labels reversed: as fast and error-free as the real one, wrong on most
     * texts. Only the agreement with stable sees it, and stops it while it is only shadowed.
     */
    @Test
    void wrongCanaryIsFailedByTheAgreementMetricWhileLatencyAndErrorsStayGreen() throws Exception {
        Path reversed = ModelRepositoryCopies.withReversedLabels(Path.of(System.getProperty("inference.modelRepository")),
                dir.resolve("reversed-labels"));
        startPlatform(true, SHADOW_PERCENT, canary -> canary.modelRepository(reversed));

        LocalRollout.Outcome outcome = rollout().run();

        AnalysisRunner.MetricResult agreement = assertAborted(outcome, "inference-canary-agreement",
                "wrong canary (version 2, labels reversed)");
        assertEquals(2, agreement.measurements(), "failed within two measurements: " + agreement + "\n"
                + String.join("\n", log));
        for (String template : List.of("inference-canary-latency", "inference-canary-errors")) {
            AnalysisRunner.MetricResult metric = outcome.deciding().metrics().stream()
                    .filter(result -> result.template().equals(template)).findFirst().orElseThrow();
            // Green as Argo judges it: at most failureLimit failed measurements (a cold canary's first
            // seconds may cost one latency measurement on this shared machine).
            assertEquals(Phase.SUCCESSFUL, metric.phase(), template + " stays green: " + metric + "\n" + String.join("\n", log));
        }
    }

    /**
     * The canary machinery is model-agnostic: a tensor model's canary that ranks the classes the
     * other way round, called over the Open Inference Protocol, is failed by the same agreement
     * template from its answers compared row by row, while it is only shadowed.
     */
    @Test
    void wrongTensorCanaryIsFailedByTheAgreementMetric() throws Exception {
        TabularMlp.write(dir.resolve("stable/mlp/1"), 1);
        TabularMlp.write(dir.resolve("canary/mlp/1"), -1);
        startPlatform(stable -> stable.modelRepository(dir.resolve("stable")),
                canary -> canary.modelRepository(dir.resolve("canary")), true, SHADOW_PERCENT,
                () -> new OpenInferenceGrpcClient("127.0.0.1:" + gateway.port(), "mlp", "",
                        Map.of("x-model-track", "auto"), 10_000, true));

        LocalRollout.Outcome outcome = rollout().run();

        assertAborted(outcome, "inference-canary-agreement", "wrong tensor canary (the MLP's scores negated)");
    }

    /**
     * Embeddings are compared by the cosine of the two tracks' vectors for a text: a canary serving
     * another model under the same name (bge-small for all-MiniLM-L6-v2, both 384 dimensions, so
     * nothing but the vectors tells them apart) is failed by the agreement template.
     */
    @Test
    void embeddingCanaryOfAnotherModelIsFailedByTheAgreementMetric() throws Exception {
        Path defaults = Path.of(System.getProperty("inference.modelRepository"));
        startEmbeddingPlatform(EmbeddingRepositories.fp32(defaults, dir.resolve("stable")),
                EmbeddingRepositories.otherModel(defaults, dir.resolve("canary")));

        LocalRollout.Outcome outcome = rollout().run();

        assertAborted(outcome, "inference-canary-agreement", "embedding canary of another model (bge-small)");
    }

    /** The int8 re-export of the stable FP32 embedding model agrees above the gateway's cosine threshold. */
    @Test
    void int8ReExportOfTheEmbeddingModelReachesTheManualGate() throws Exception {
        Path defaults = Path.of(System.getProperty("inference.modelRepository"));
        startEmbeddingPlatform(EmbeddingRepositories.fp32(defaults, dir.resolve("stable")),
                EmbeddingRepositories.int8(defaults, dir.resolve("canary")));

        LocalRollout.Outcome outcome = rollout().run();

        assertEquals(LocalRollout.State.AT_MANUAL_GATE, outcome.state(), String.join("\n", log));
        double agreement = prometheus().query("sum(inference_shadow_comparisons_total{outcome=\"agree\"})"
                + " / sum(inference_shadow_comparisons_total)").get(0);
        assertTrue(agreement >= 0.99, "int8 agrees with FP32 on every shadowed text: " + agreement);
        figure(String.format(Locale.ROOT, "int8 re-export of the embedding model as canary: at the manual gate; its"
                + " vectors agreed with FP32's on %.1f%% of the shadowed texts", 100 * agreement));
    }

    private void startEmbeddingPlatform(Path stableRepository, Path canaryRepository) throws Exception {
        startPlatform(stable -> stable.modelRepository(stableRepository),
                canary -> canary.modelRepository(canaryRepository), true, SHADOW_PERCENT,
                () -> new OpenInferenceGrpcClient("127.0.0.1:" + gateway.port(), EmbeddingRepositories.MODEL, "",
                        Map.of("x-model-track", "auto"), 10_000, true));
    }

    @Test
    void canaryWithoutTrafficIsNotFailedButPausedForAHuman() throws Exception {
        startPlatform(false, SHADOW_PERCENT, UnaryOperator.identity());

        assertPausedForWantOfComparisons(rollout().run(), "canary without traffic");
    }

    @Test
    void canaryNobodyComparesIsNotPromotedButPausedForAHuman() throws Exception {
        startPlatform(true, 0, UnaryOperator.identity());

        assertPausedForWantOfComparisons(rollout().run(), "traffic, shadow comparison off");
    }

    /** No comparisons are no evidence either way: Inconclusive, and a pause while only shadowed. */
    private void assertPausedForWantOfComparisons(LocalRollout.Outcome outcome, String scenario) throws Exception {
        assertEquals(LocalRollout.State.PAUSED_INCONCLUSIVE, outcome.state(), String.join("\n", log));
        AnalysisRunner.MetricResult agreement = outcome.deciding().metrics().stream()
                .filter(metric -> metric.template().equals("inference-canary-agreement")).findFirst().orElseThrow();
        assertEquals(Phase.INCONCLUSIVE, agreement.phase(), agreement.toString());
        assertTrue(outcome.deciding().metrics().stream().filter(metric -> !metric.equals(agreement))
                .allMatch(metric -> metric.phase() == Phase.SUCCESSFUL), "no data is no evidence against the canary");
        assertEquals(0, weight(), "paused in the shadow phase: neither aborted nor sent users");
        figure(scenario + ": agreement Inconclusive after " + agreement.measurements()
                + " measurements, the other metrics Successful, rollout paused at weight 0");
    }

    /**
     * The canary is bad from its first call and the background analysis starts with the shadow
     * phase, so it is stopped before the rollout gives it any user: no call the gateway routed
     * reached it.
     */
    private AnalysisRunner.MetricResult assertAborted(LocalRollout.Outcome outcome, String failingTemplate,
            String scenario) throws Exception {
        assertEquals(LocalRollout.State.ABORTED, outcome.state(), String.join("\n", log));
        AnalysisRunner.MetricResult failing = outcome.deciding().metrics().stream()
                .filter(metric -> metric.template().equals(failingTemplate) && metric.phase() == Phase.FAILED)
                .findFirst().orElseThrow(() -> new AssertionError(outcome.deciding().toString()));
        assertEquals(0, weight());
        assertTrue(outcome.steps().contains("canary stopped"));
        assertEquals(0, canaryCallsSeenByTheGateway(), "aborted in the shadow phase, before any user call: "
                + outcome.steps() + "\n" + String.join("\n", log));
        double secondsToAbort = (outcome.abortedAtNanos() - rolloutStartNanos) / 1e9;
        Duration interval = templates.get(failingTemplate).metrics().get(0).interval();
        figure(String.format(Locale.ROOT, "%s: aborted in the shadow phase %.1f s after the rollout started, on the %d."
                + " measurement of %s (%d failed; about %d s at the cluster's interval); no user call reached the canary",
                scenario, secondsToAbort, failing.measurements(), failingTemplate, failing.failed(),
                failing.measurements() * interval.toSeconds()));
        return failing;
    }

    /** A figure for the docs, in the test log. */
    private static void figure(String text) {
        System.out.println("FIGURE " + text);
    }

    private static CanaryStrategy strategy() throws Exception {
        return CanaryStrategy.read(Manifests.ROOT.resolve("rollouts/rollout-inference-server.yaml"));
    }

    private PrometheusQuery prometheus() {
        return new PrometheusQuery("http://127.0.0.1:" + prometheusPort);
    }

    private LocalRollout rollout() throws Exception {
        rolloutStartNanos = System.nanoTime();
        AnalysisRunner runner = new AnalysisRunner(prometheus(), TIME_SCALE,
                measurement -> log.add(measurement.toString()));
        LocalRollout.Platform platform = new LocalRollout.Platform() {
            @Override
            public void setCanaryWeight(int percent) throws Exception {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(gatewayUrl("/admin/traffic")))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"canaryWeight\":" + percent + "}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode(), response.body());
            }

            @Override
            public void stopCanary() {
                canary.stop(Duration.ofSeconds(2));
            }
        };
        return new LocalRollout(platform, strategy(), runner, templates, ARGS, TIME_SCALE, log::add);
    }

    private final HttpClient http = HttpClient.newHttpClient();
    private int prometheusPort;
    private long rolloutStartNanos;

    /**
     * Stable v1 and canary v2 servers (revisions st4ble and c4n4ry), the gateway at canary weight 0
     * (a new canary's weight before the first setWeight) shadowing {@code shadowPercent} of the
     * unpinned calls, Prometheus scraping all three, and traffic if asked for. With traffic and
     * shadowing, the rollout starts once the gateway has compared as many texts as the agreement
     * template needs, as a cluster's canary pods are shadowed from their start.
     */
    private void startPlatform(boolean withTraffic, double shadowPercent, UnaryOperator<ServerConfig.Builder> canarySettings)
            throws Exception {
        startPlatform(stable -> stable.defaultVersion("sentiment", "1"),
                canary -> canarySettings.apply(canary.defaultVersion("sentiment", "2")), withTraffic, shadowPercent,
                () -> new RestPredictClient(gatewayUrl(""), "sentiment", "", Map.of("x-model-track", "auto"), 10_000));
    }

    /**
     * As {@link #startPlatform(boolean, double, UnaryOperator)} for any model: the servers' settings
     * beside their tracks and revisions, and the client that sends the traffic through the gateway.
     */
    private void startPlatform(UnaryOperator<ServerConfig.Builder> stableSettings,
            UnaryOperator<ServerConfig.Builder> canarySettings, boolean withTraffic, double shadowPercent,
            Supplier<PredictClient> client) throws Exception {
        stable = server(stableSettings.apply(serverConfig().track("stable").revision("st4ble")));
        canary = server(canarySettings.apply(serverConfig().track("canary").revision("c4n4ry")));
        gateway = new GatewayServer(GatewayConfig.builder().host("127.0.0.1").port(0)
                .stable("127.0.0.1:" + stable.port()).canary("127.0.0.1:" + canary.port()).canaryWeight(0)
                .shadowPercent(shadowPercent).build()).start();
        prometheusPort = FreePorts.next();
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
                  - job_name: frontend-gateway
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                        labels: {namespace: local, pod: frontend-gateway-0}
                """.formatted(stable.managementPort(), canary.managementPort(), gateway.port()));
        prometheus = new ProcessBuilder("/usr/bin/prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + prometheusPort)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        awaitPrometheus();
        // A fresh Prometheus applies its targets on a 5 s timer; in a cluster it scrapes already.
        awaitQuery("count(up == 1) == 3");
        if (withTraffic) {
            traffic = new Thread(() -> {
                try (PredictClient calls = client.get()) {
                    while (sending.get()) {
                        new LoadRun(calls, new OpenLoop(TRAFFIC_PER_SECOND, NanoClock.SYSTEM), Corpus.builtIn(), 1)
                                .run("traffic", Duration.ZERO, Duration.ofSeconds(2), new PrintStream(new ByteArrayOutputStream()));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "traffic");
            traffic.start();
            if (shadowPercent > 0) {
                // Twice the template's minimum: increase() extrapolates a young series from its first
                // few samples, so with bursty traffic it can cross the minimum and fall back under it
                // at the next scrape (seen in CI: an Inconclusive first measurement).
                int minComparisons = Integer.parseInt(
                        templates.get("inference-canary-agreement").args().get("min-comparisons"));
                awaitQuery("sum(increase(inference_shadow_comparisons_total{canary_revision=\"c4n4ry\"}[5m])) >= "
                        + 2 * minComparisons);
            }
        }
    }

    /** Waits until an instant query returns a sample. */
    private void awaitQuery(String promql) throws Exception {
        PrometheusQuery query = new PrometheusQuery("http://127.0.0.1:" + prometheusPort);
        Awaitility.await("a result for " + promql).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> !query.query(promql).isEmpty());
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

    /** A server's defaults on loopback with free ports, serving the build's model repository. */
    private static ServerConfig.Builder serverConfig() {
        return ServerConfig.builder().host("127.0.0.1").port(0).managementPort(0)
                .modelRepository(Path.of(System.getProperty("inference.modelRepository")));
    }

    private static InferenceServer server(ServerConfig.Builder config) throws Exception {
        return new InferenceServer(config.build()).start();
    }

    private void awaitPrometheus() throws Exception {
        Awaitility.await("Prometheus ready; see " + dir.resolve("prometheus.log")).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100)).ignoreExceptionsInstanceOf(java.io.IOException.class)
                .until(() -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prometheusPort + "/-/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
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
