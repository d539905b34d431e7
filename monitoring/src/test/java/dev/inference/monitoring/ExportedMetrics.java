package dev.inference.monitoring;

import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.PredictRequest;
import dev.inference.gateway.GatewayConfig;
import dev.inference.gateway.GatewayServer;
import dev.inference.server.DjlOffline;
import dev.inference.server.InferenceServer;
import dev.inference.server.ServerConfig;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.yaml.snakeyaml.Yaml;

/**
 * The metric names a query may read: what a real inference server and a real gateway export
 * after serving a call, plus the recording rules. Queries that name anything else are typos.
 */
public final class ExportedMetrics {

    /** Istio's standard metrics (istio.io, "Istio Standard Metrics"). */
    public static final Set<String> ISTIO_STANDARD = Set.of("istio_requests_total", "istio_request_duration_milliseconds",
            "istio_request_duration_milliseconds_bucket", "istio_request_duration_milliseconds_sum",
            "istio_request_duration_milliseconds_count", "istio_request_bytes", "istio_request_bytes_bucket",
            "istio_response_bytes", "istio_response_bytes_bucket", "istio_request_messages_total",
            "istio_response_messages_total", "istio_tcp_sent_bytes_total", "istio_tcp_received_bytes_total",
            "istio_tcp_connections_opened_total", "istio_tcp_connections_closed_total");

    private static Set<String> names;

    private ExportedMetrics() {}

    /**
     * Scraped once per test run from servers started on loopback: two revisions behind a gateway
     * that shadows every call, so that the shadow comparison's series exist too, and limits calls.
     */
    public static synchronized Set<String> names(Path monitoringDir, String modelRepository) throws Exception {
        if (names != null) {
            return names;
        }
        DjlOffline.enforce();
        InferenceServer server = new InferenceServer(ServerConfig.builder().host("127.0.0.1").port(0).managementPort(0)
                .modelRepository(Path.of(modelRepository)).revision("st4ble").build()).start();
        InferenceServer canary = new InferenceServer(ServerConfig.builder().host("127.0.0.1").port(0).managementPort(0)
                .modelRepository(Path.of(modelRepository)).track("canary").revision("c4n4ry").build()).start();
        GatewayServer gateway = new GatewayServer(GatewayConfig.builder().host("127.0.0.1").port(0)
                .stable("127.0.0.1:" + server.port()).canary("127.0.0.1:" + canary.port())
                .shadowPercent(100).rateLimit(0.1).rateLimitBurst(1).build()).start();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port()).usePlaintext().build();
        try {
            InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .predict(PredictRequest.newBuilder().setModel("sentiment").addInstances("Fine").build());
            Set<String> found = new TreeSet<>();
            String gatewayMetrics = "http://127.0.0.1:" + gateway.port() + "/metrics";
            Awaitility.await("the shadow comparison is counted").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                    .until(() -> get(gatewayMetrics).contains("inference_shadow_comparisons_total"));
            // The Predict took the one call of the burst: this one is over the limit, so that the
            // rate-limit series exist too.
            get("http://127.0.0.1:" + gateway.port() + "/v1/models");
            found.addAll(seriesNames(get("http://127.0.0.1:" + server.managementPort() + "/metrics")));
            found.addAll(seriesNames(get(gatewayMetrics)));
            found.addAll(recordingRules(monitoringDir));
            names = found;
            return names;
        } finally {
            channel.shutdownNow();
            gateway.close();
            server.stop(Duration.ofSeconds(1));
            canary.stop(Duration.ofSeconds(1));
        }
    }

    @SuppressWarnings("unchecked")
    public static Set<String> recordingRules(Path monitoringDir) throws Exception {
        Map<String, Object> file = new Yaml().load(Files.readString(monitoringDir.resolve("rules/inference.rules.yml")));
        Set<String> recorded = new TreeSet<>();
        ((List<Map<String, Object>>) file.get("groups")).stream()
                .flatMap(group -> ((List<Map<String, Object>>) group.get("rules")).stream())
                .map(rule -> (String) rule.get("record"))
                .filter(name -> name != null)
                .forEach(recorded::add);
        return recorded;
    }

    private static String get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static Set<String> seriesNames(String scrape) {
        Set<String> found = new TreeSet<>();
        scrape.lines().filter(line -> !line.startsWith("#") && !line.isBlank())
                .forEach(line -> found.add(line.split("[{ ]", 2)[0]));
        return found;
    }
}
