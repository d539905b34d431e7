package dev.inference.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.server.FreePorts;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GatewayEndpointsTest {

    private static TestPlatform platform;

    @BeforeAll
    static void start() throws Exception {
        platform = TestPlatform.shared();
    }

    @Test
    void metricsArePerTrackHistograms() throws Exception {
        platform.post("/v1/models/sentiment:predict", "{\"instances\":[\"ok\"]}", "x-model-track", "canary");
        String scrape = platform.get("/metrics").body();

        assertTrue(scrape.contains("# TYPE gateway_request_duration_seconds histogram"), "a histogram, not a summary");
        assertTrue(scrape.lines().anyMatch(line -> line.startsWith("gateway_request_duration_seconds_bucket{")
                && line.contains("track=\"canary\"") && line.contains("le=\"0.4\"")));
        assertTrue(scrape.lines().anyMatch(line -> line.startsWith("gateway_requests_total{")
                && line.contains("grpc_code=\"OK\"") && line.contains("method=\"Predict\"") && line.contains("track=\"canary\"")));
        assertTrue(scrape.contains("gateway_canary_weight 10.0"));
        assertTrue(scrape.contains("process_resident_memory_bytes"));
    }

    @Test
    void healthIs200WhileAnUpstreamServesAndListsThem() throws Exception {
        HttpResponse<String> health = platform.get("/internal/health");

        assertEquals(200, health.statusCode());
        assertEquals("{\"status\":\"SERVING\",\"upstreams\":{\"stable\":\"SERVING\",\"canary\":\"SERVING\"}}", health.body());
    }

    @Test
    void rootRedirectsToTheUiAndDocServiceIsMounted() throws Exception {
        HttpResponse<String> root = platform.get("/");
        assertEquals(307, root.statusCode());
        assertEquals("/ui/", root.headers().firstValue("location").orElseThrow());
        assertTrue(platform.get("/ui/").body().contains("<title>Inference platform</title>"));
        assertEquals(200, platform.get("/docs/").statusCode());
        String specification = platform.get("/docs/specification.json").body();
        assertTrue(specification.contains("inference.v1.InferenceService"));
        assertTrue(specification.contains("Classifies every instance of the request"), "docstrings from the .proto");
    }

    /**
     * The management port is outside the sidecar (no mTLS, no AuthorizationPolicy): it serves
     * scrapes and probes, and nothing a user could call.
     */
    @Test
    void managementPortServesOnlyMetricsAndHealth() throws Exception {
        int managementPort = FreePorts.next();
        GatewayServer gateway = TestPlatform.gateway(TestPlatform.gatewayConfig(platform.stable).managementPort(managementPort));
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", managementPort).usePlaintext().build();
        try {
            HttpResponse<String> metrics = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    "http://127.0.0.1:" + managementPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("jvm_memory_used_bytes"));
            assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus(), "the kubelet's gRPC probe");
            for (String path : new String[] {"/ui/", "/admin/traffic", "/docs/", "/v1/models"}) {
                assertEquals(404, http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        "http://127.0.0.1:" + managementPort + path)).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode(), path + " on the management port");
            }
            assertEquals(404, http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    "http://127.0.0.1:" + managementPort + "/v1/models/sentiment:predict"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"instances\":[\"x\"]}")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode(), "REST Predict on the management port");
            io.grpc.StatusRuntimeException predict = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
                    () -> dev.inference.api.v1.InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                            .predict(dev.inference.api.v1.PredictRequest.newBuilder().setModel("sentiment").addInstances("x").build()));
            assertEquals(io.grpc.Status.Code.UNIMPLEMENTED, predict.getStatus().getCode(), "gRPC Predict on the management port");
            assertEquals(200, http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    "http://127.0.0.1:" + gateway.port() + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode(), "the main port still serves everything");
            assertTrue(gateway.port() != managementPort);
        } finally {
            channel.shutdownNow();
            gateway.close();
        }
    }

    @Test
    void gatewayAnswersGrpcHealthItself() {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", platform.gateway.port()).usePlaintext().build();
        try {
            assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus());
        } finally {
            channel.shutdownNow();
        }
    }
}
