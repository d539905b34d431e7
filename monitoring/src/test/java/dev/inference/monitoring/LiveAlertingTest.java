package dev.inference.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.PredictRequest;
import dev.inference.server.DjlOffline;
import dev.inference.server.FreePorts;
import dev.inference.server.InferenceServer;
import dev.inference.server.ServerConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The latency alert end to end with real processes on loopback: Prometheus scrapes a real canary
 * inference server slowed by --inject-latency-ms under real traffic, evaluates a test copy of the
 * real rules, and a real Alertmanager with the real configuration notifies PagerDuty and Slack
 * (a local receiver); removing the fault resolves both.
 */
class LiveAlertingTest {

    private static final String ROUTING_KEY = "e2e0routing0key0000000000000000a";
    private static final Duration NOTIFICATION_TIMEOUT = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    private Process prometheus;
    private Process alertmanager;
    private InferenceServer server;
    private final AtomicBoolean traffic = new AtomicBoolean(true);
    private final ExecutorService clients = Executors.newFixedThreadPool(4);

    @Test
    void slowCanaryPagesPagerDutyAndSlackAndResolvesWhenTheFaultIsRemoved() throws Exception {
        String prometheusBinary = Tools.require("prometheus");
        String alertmanagerBinary = Tools.require("prometheus-alertmanager");
        DjlOffline.enforce();
        try (NotificationReceiver receiver = new NotificationReceiver()) {
            int alertmanagerPort = FreePorts.next();
            Path amConfig = Tools.alertmanagerConfig(dir.resolve("alertmanager"), receiver.url("/pagerduty"),
                    receiver.url("/slack"), ROUTING_KEY,
                    "group_wait: 30s", "group_wait: 1s", "group_interval: 5m", "group_interval: 1s");
            alertmanager = Tools.start(dir.resolve("alertmanager.log"), alertmanagerBinary,
                    "--config.file=" + amConfig, "--storage.path=" + dir.resolve("alertmanager-data"),
                    "--web.listen-address=127.0.0.1:" + alertmanagerPort, "--cluster.listen-address=");

            int grpcPort = FreePorts.next();
            int metricsPort = FreePorts.next();
            server = startCanary(grpcPort, metricsPort, Duration.ofMillis(500));
            startPrometheus(prometheusBinary, metricsPort, alertmanagerPort);
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().build();
            for (int i = 0; i < 4; i++) {
                clients.submit(() -> sendTraffic(channel));
            }

            JsonObject page = receiver.await("/pagerduty", body -> body.get("event_action").getAsString().equals("trigger"),
                    NOTIFICATION_TIMEOUT);
            assertEquals(ROUTING_KEY, page.get("routing_key").getAsString());
            JsonObject payload = page.getAsJsonObject("payload");
            assertTrue(payload.get("summary").getAsString().startsWith(
                    "InferenceCanaryLatencyHigh: Canary p95 latency of sentiment is "), payload.toString());
            assertEquals("critical", payload.get("severity").getAsString());
            JsonObject slack = receiver.await("/slack", body -> title(body).startsWith("[FIRING:1] InferenceCanaryLatencyHigh"),
                    NOTIFICATION_TIMEOUT);
            assertEquals("#inference-pages", slack.get("channel").getAsString());
            assertEquals("[FIRING:1] InferenceCanaryLatencyHigh · sentiment · e2e", title(slack));
            String text = slack.getAsJsonArray("attachments").get(0).getAsJsonObject().get("text").getAsString();
            assertTrue(text.contains("|Runbook>") && text.contains("docs/runbooks/InferenceCanaryLatencyHigh.md"), text);

            // The fault goes: a healthy server takes the slow one's place, as a fixed revision would.
            server.stop(Duration.ofSeconds(5));
            server = startCanary(grpcPort, metricsPort, Duration.ZERO);

            // The restart may page InferenceModelNotReady on its own (its wait is seconds here and
            // the new server is not ready while it warms up), so only this page's resolve counts.
            String dedupKey = page.get("dedup_key").getAsString();
            receiver.await("/pagerduty", body -> body.get("event_action").getAsString().equals("resolve")
                    && body.get("dedup_key").getAsString().equals(dedupKey), NOTIFICATION_TIMEOUT);
            JsonObject slackResolved = receiver.await("/slack",
                    body -> title(body).startsWith("[RESOLVED] InferenceCanaryLatencyHigh"), NOTIFICATION_TIMEOUT);
            assertEquals("#inference-pages", slackResolved.get("channel").getAsString());
            assertTrue(slackResolved.getAsJsonArray("attachments").get(0).getAsJsonObject().get("text").getAsString()
                    .startsWith(":large_green_circle: *Resolved*, was: Canary p95 latency of sentiment"));
            channel.shutdownNow();
        }
    }

    @AfterEach
    void stopEverything() throws Exception {
        traffic.set(false);
        clients.shutdownNow();
        clients.awaitTermination(10, TimeUnit.SECONDS);
        for (Process process : new Process[] {prometheus, alertmanager}) {
            if (process != null) {
                process.destroy();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (server != null) {
            server.stop(Duration.ofSeconds(1));
        }
    }

    private void sendTraffic(ManagedChannel channel) {
        PredictRequest request = PredictRequest.newBuilder().setModel("sentiment").addInstances("Lovely dinner").build();
        while (traffic.get()) {
            try {
                InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).predict(request);
            } catch (RuntimeException restarting) {
                sleepQuietly();
            }
        }
    }

    private static InferenceServer startCanary(int grpcPort, int metricsPort, Duration injectedLatency) throws Exception {
        return new InferenceServer(ServerConfig.builder().host("127.0.0.1").port(grpcPort).managementPort(metricsPort)
                .track("canary").modelRepository(Path.of(System.getProperty("inference.modelRepository")))
                .injectLatency(injectedLatency).build()).start();
    }

    /**
     * Prometheus with 1 s scrapes and a test copy of the real rules whose windows and waits are
     * seconds instead of minutes; the canary target carries the labels a cluster's relabeling adds.
     */
    private void startPrometheus(String binary, int metricsPort, int alertmanagerPort) throws Exception {
        String rules = Files.readString(Tools.MONITORING.resolve("rules/inference.rules.yml"))
                .replace("[5m]", "[10s]")
                .replace("for: 5m", "for: 3s");
        Files.writeString(dir.resolve("rules.yml"), rules);
        Files.writeString(dir.resolve("prometheus.yml"), """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                rule_files: [rules.yml]
                alerting:
                  alertmanagers:
                    - static_configs:
                        - targets: ["127.0.0.1:%d"]
                scrape_configs:
                  - job_name: inference-server
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                        labels:
                          namespace: e2e
                          pod: inference-server-c4n4ry-0
                          track: canary
                          rollouts_pod_template_hash: c4n4ry
                """.formatted(alertmanagerPort, metricsPort));
        prometheus = Tools.start(dir.resolve("prometheus.log"), binary,
                "--config.file=" + dir.resolve("prometheus.yml"), "--storage.tsdb.path=" + dir.resolve("prometheus-data"),
                "--web.listen-address=127.0.0.1:" + FreePorts.next());
    }

    private static String title(JsonObject slack) {
        return slack.getAsJsonArray("attachments").get(0).getAsJsonObject().get("title").getAsString();
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
