package dev.inference.gateway.shadow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.inference.api.Headers;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.PredictRequest;
import dev.inference.gateway.GatewayConfig;
import dev.inference.gateway.GatewayServer;
import dev.inference.gateway.TestPlatform;
import dev.inference.gateway.forwarding.RecordingUpstream;
import dev.inference.server.FreePorts;
import dev.inference.server.InferenceServer;
import dev.inference.server.bench.TabularMlp;
import dev.inference.server.model.ModelRepositoryCopies;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shadow comparison with real inference servers: a stable server, a canary whose model names
 * the wrong class for every text (its labels reversed), and a canary with stable's model that takes
 * 500 ms per call.
 */
class ShadowComparisonTest {

    private static final String PREDICT = "/v1/models/sentiment:predict";
    private static final UnaryOperator<GatewayConfig.Builder> SHADOW_ALL = config -> config.shadowPercent(100);

    @TempDir
    static Path dir;
    private static InferenceServer stable;
    private static InferenceServer wrong;
    private static InferenceServer slowButRight;
    private final List<GatewayServer> gateways = new ArrayList<>();

    @BeforeAll
    static void startServers() throws Exception {
        stable = TestPlatform.inferenceServer(TestPlatform.serverConfig().defaultVersion("sentiment", "1").track("stable")
                .revision("st4ble"));
        Path reversed = ModelRepositoryCopies.withReversedLabels(
                Path.of(System.getProperty("inference.modelRepository")), dir.resolve("reversed"));
        wrong = TestPlatform.inferenceServer(TestPlatform.serverConfig().modelRepository(reversed)
                .defaultVersion("sentiment", "1").track("canary").revision("wr0ng"));
        slowButRight = TestPlatform.inferenceServer(TestPlatform.serverConfig().defaultVersion("sentiment", "1").track("canary")
                .revision("sl0w").injectLatency(Duration.ofMillis(500)));
    }

    @AfterAll
    static void stopServers() {
        for (InferenceServer server : List.of(stable, wrong, slowButRight)) {
            server.stop(Duration.ofSeconds(2));
        }
    }

    @org.junit.jupiter.api.AfterEach
    void closeGateways() {
        gateways.forEach(GatewayServer::close);
    }

    @Test
    void everyTextOfAWrongCanaryDisagreesWhileUsersGetStable() throws Exception {
        GatewayServer gateway = gateway(wrong, SHADOW_ALL);

        for (int i = 0; i < 5; i++) {
            HttpResponse<String> answer = post(gateway, "{\"instances\":[\"Great food\",\"Awful service\"]}");
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals("stable", answer.headers().firstValue(Headers.TRACK).orElseThrow(), "weight 0: users get stable");
        }

        awaitValue(10, () -> metric(gateway, "inference_shadow_comparisons_total", "canary_revision=\"wr0ng\"",
                "outcome=\"disagree\""));
        assertEquals(0, metric(gateway, "inference_shadow_comparisons_total", "outcome=\"agree\""));
        JsonObject shadow = JsonParser.parseString(get(gateway, "/internal/stats")).getAsJsonObject().getAsJsonObject("shadow");
        assertEquals("wr0ng", shadow.get("canaryRevision").getAsString());
        assertEquals(10, shadow.get("compared").getAsLong());
        assertEquals(0.0, shadow.get("agreement").getAsDouble());
    }

    @Test
    void embeddingsAreShadowedOverOpenAisApiAndEmbedAndComparedByCosine() throws Exception {
        GatewayServer gateway = gateway(wrong, SHADOW_ALL);

        for (int i = 0; i < 3; i++) {
            HttpResponse<String> answer = TestPlatform.post(gateway, "/v1/embeddings",
                    "{\"model\": \"all-minilm-l6-v2\", \"input\": [\"Great food\", \"Awful service\"]}");
            assertEquals(200, answer.statusCode(), answer.body());
        }
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> answer = TestPlatform.post(gateway, "/v1/models/all-minilm-l6-v2:embed",
                    "{\"instances\": [\"Great food\", \"Awful service\"]}");
            assertEquals(200, answer.statusCode(), answer.body());
        }

        // The reversed labels touch only the classifier: the embedding model is the same on both tracks.
        awaitValue(10, () -> metric(gateway, "inference_shadow_comparisons_total", "model=\"all-minilm-l6-v2\"",
                "canary_revision=\"wr0ng\"", "outcome=\"agree\""));
        assertEquals(0, metric(gateway, "inference_shadow_comparisons_total", "model=\"all-minilm-l6-v2\"",
                "outcome=\"disagree\""));
    }

    @Test
    void theClientNeverWaitsForTheShadowAndShadowsInFlightAreBounded() throws Exception {
        GatewayServer gateway = gateway(slowButRight, config -> config.shadowPercent(100).shadowMaxInFlight(2));
        post(gateway, "{\"instances\":[\"warm-up\"]}", Headers.TRACK, "stable");

        List<CompletableFuture<Long>> calls = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> {
                long start = System.nanoTime();
                try {
                    assertEquals(200, post(gateway, "{\"instances\":[\"Lovely evening\"]}").statusCode());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            }));
        }
        for (CompletableFuture<Long> call : calls) {
            long millis = call.get(10, TimeUnit.SECONDS);
            assertTrue(millis < 500, "an answer does not wait for its 500 ms shadow, took " + millis + " ms");
        }

        awaitValue(2, () -> metric(gateway, "inference_shadow_comparisons_total", "canary_revision=\"sl0w\"",
                "outcome=\"agree\""));
        assertEquals(3, metric(gateway, "inference_shadow_skipped_total", "reason=\"in_flight_limit\""),
                "two shadows in flight, three skipped, none queued");
        assertEquals(0, metric(gateway, "inference_shadow_comparisons_total", "outcome=\"disagree\""));
    }

    @Test
    void theShadowHasOnlyWhatIsLeftOfTheCallersDeadline() throws Exception {
        GatewayServer gateway = gateway(slowButRight, SHADOW_ALL);
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port()).usePlaintext().build();
        try {
            InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(300, TimeUnit.MILLISECONDS)
                    .predict(PredictRequest.newBuilder().setModel("sentiment").addInstances("Fine").build());
        } finally {
            channel.shutdownNow();
        }

        awaitValue(1, () -> metric(gateway, "inference_shadow_errors_total", "grpc_code=\"DEADLINE_EXCEEDED\""));
        assertEquals(0, metric(gateway, "inference_shadow_comparisons_total"));
    }

    @Test
    void answersOfOneRevisionPinnedCallsAndShadowingOffAreNotCompared() throws Exception {
        GatewayServer sameServer = gateway(stable, SHADOW_ALL);
        post(sameServer, "{\"instances\":[\"Nice\"]}");
        awaitValue(1, () -> metric(sameServer, "inference_shadow_skipped_total", "reason=\"same_revision\""));

        // Each "not" waits for an event that must come after what it rules out: a shadow of the
        // first call would have been sent before the second call started.
        GatewayServer pinned = gateway(wrong, SHADOW_ALL);
        post(pinned, "{\"instances\":[\"Nice\"]}", Headers.TRACK, "stable");
        post(pinned, "{\"instances\":[\"Nice\"]}");
        awaitValue(1, () -> metric(pinned, "inference_shadow_comparisons_total"));
        assertEquals(1, metric(pinned, "inference_shadow_comparisons_total"), "the unpinned call only: a pinned call is not shadowed");

        GatewayServer off = gateway(wrong, UnaryOperator.identity());
        double canaryCalls = requests(wrong);
        post(off, "{\"instances\":[\"Nice\"]}");
        post(off, "{\"instances\":[\"Nice\"]}", Headers.TRACK, "canary");
        awaitValue(canaryCalls + 1, () -> requests(wrong));
        assertEquals(canaryCalls + 1, requests(wrong), "only the call pinned to it reached the canary");
        assertFalse(scrape(off).contains("inference_shadow_"), "shadowing is off by default");
    }

    /** A canary that is down (dead, draining, not started) is not shadowed: counted, and users unaffected. */
    @Test
    void aCanaryThatIsDownIsSkippedAndCounted() throws Exception {
        int nothingListens = FreePorts.next();
        GatewayServer gateway = TestPlatform.gateway(TestPlatform.gatewayConfig().stable("127.0.0.1:" + stable.port())
                .canary("127.0.0.1:" + nothingListens).canaryWeight(0).shadowPercent(100));
        gateways.add(gateway);

        assertEquals(200, post(gateway, "{\"instances\":[\"Nice\"]}").statusCode());

        awaitValue(1, () -> metric(gateway, "inference_shadow_skipped_total", "reason=\"no_other_track\""));
        assertEquals(0, metric(gateway, "inference_shadow_errors_total"), "never sent to a server that is down");
    }

    /**
     * Mesh mode: the shadow goes to the Service pinned to the other track, for Istio's header route,
     * and carries the call's request id and trace context like the call itself.
     */
    @Test
    void inMeshModeTheShadowAsksForTheOtherTrackAndCarriesTheCallsTrace() throws Exception {
        try (RecordingUpstream mesh = new RecordingUpstream("stable", 0)) {
            GatewayServer gateway = TestPlatform.gateway(TestPlatform.gatewayConfig().upstream("127.0.0.1:" + mesh.port()).shadowPercent(100));
            gateways.add(gateway);
            String trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            TestPlatform.post(gateway, "/v1/models/sentiment:predict", "{\"instances\":[\"Nice\"]}",
                    "traceparent", trace, Headers.REQUEST_ID, "req-shadowed");

            awaitValue(2, () -> mesh.predictHeaders.size());
            Metadata.Key<String> track = Metadata.Key.of(Headers.TRACK, Metadata.ASCII_STRING_MARSHALLER);
            assertEquals(Headers.TRACK_AUTO, mesh.predictHeaders.get(0).get(track));
            assertEquals("canary", mesh.predictHeaders.get(1).get(track));
            for (Metadata sent : mesh.predictHeaders) {
                assertEquals(trace, sent.get(Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER)));
                assertEquals("req-shadowed", sent.get(Metadata.Key.of(Headers.REQUEST_ID, Metadata.ASCII_STRING_MARSHALLER)));
            }
        }
    }

    /**
     * A tensor model's canary, judged row by row through both APIs of the Open Inference Protocol: a
     * re-export that differs by rounding agrees; one that ranks the classes the other way disagrees.
     */
    @Test
    void tensorModelCanariesAreJudgedRowByRow() throws Exception {
        Path repositories = dir.resolve("mlps");
        TabularMlp.write(repositories.resolve("stable/mlp/1"), 1);
        TabularMlp.write(repositories.resolve("close/mlp/1"), 1.0001f);
        TabularMlp.write(repositories.resolve("wrong/mlp/1"), -1);
        List<InferenceServer> servers = new ArrayList<>();
        try {
            for (String[] server : List.of(new String[] {"stable", "stable", "mlpst4ble"},
                    new String[] {"close", "canary", "cl0se"}, new String[] {"wrong", "canary", "wr0ngmlp"})) {
                servers.add(TestPlatform.inferenceServer(TestPlatform.serverConfig()
                        .modelRepository(repositories.resolve(server[0])).track(server[1]).revision(server[2])));
            }
            GatewayServer close = gateway(servers.get(0), servers.get(1), SHADOW_ALL);
            GatewayServer wrongGateway = gateway(servers.get(0), servers.get(2), SHADOW_ALL);
            for (GatewayServer gateway : List.of(close, wrongGateway)) {
                for (int i = 0; i < 5; i++) {
                    HttpResponse<String> answer = TestPlatform.post(gateway, "/v2/models/mlp/infer", "{\"inputs\": [{"
                            + "\"name\": \"features\", \"datatype\": \"FP32\", \"shape\": [2, 4],"
                            + " \"data\": [[1, 2, 3, " + i + "], [-1, 0.5, 2, -3]]}]}");
                    assertEquals(200, answer.statusCode(), answer.body());
                }
                ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port()).usePlaintext().build();
                try {
                    GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                            .modelInfer(ModelInferRequest.newBuilder().setModelName("mlp").addInputs(
                                    InferInputTensor.newBuilder().setName("features").setDatatype("FP32").addShape(1)
                                            .addShape(4).setContents(InferTensorContents.newBuilder()
                                                    .addAllFp32Contents(List.of(0.5f, 4f, -2f, 1f)))).build());
                } finally {
                    channel.shutdownNow();
                }
            }
            awaitValue(11, () -> metric(close, "inference_shadow_comparisons_total", "canary_revision=\"cl0se\"",
                    "outcome=\"agree\""));
            assertEquals(0, metric(close, "inference_shadow_comparisons_total", "outcome=\"disagree\""));
            awaitValue(11, () -> metric(wrongGateway, "inference_shadow_comparisons_total",
                    "canary_revision=\"wr0ngmlp\"", "outcome=\"disagree\""));
            assertEquals(0, metric(wrongGateway, "inference_shadow_comparisons_total", "outcome=\"agree\""));
        } finally {
            servers.forEach(server -> server.stop(Duration.ofSeconds(2)));
        }
    }

    private GatewayServer gateway(InferenceServer canary, UnaryOperator<GatewayConfig.Builder> settings) {
        return gateway(stable, canary, settings);
    }

    /** A gateway in local mode that sends every unshadowed call to {@code stableServer}. */
    private GatewayServer gateway(InferenceServer stableServer, InferenceServer canary,
            UnaryOperator<GatewayConfig.Builder> settings) {
        GatewayServer gateway = TestPlatform.gateway(settings.apply(TestPlatform.gatewayConfig()
                .stable("127.0.0.1:" + stableServer.port()).canary("127.0.0.1:" + canary.port()).canaryWeight(0)));
        gateways.add(gateway);
        return gateway;
    }

    private static HttpResponse<String> post(GatewayServer gateway, String json, String... headers) throws Exception {
        return TestPlatform.post(gateway, PREDICT, json, headers);
    }

    private static String get(GatewayServer gateway, String path) throws Exception {
        return TestPlatform.get(gateway, path).body();
    }

    private static String scrape(GatewayServer gateway) throws Exception {
        return get(gateway, "/metrics");
    }

    /** The sum of a metric's series whose labels contain every fragment given. */
    private static double metric(GatewayServer gateway, String name, String... labelFragments) {
        try {
            return scrape(gateway).lines()
                    .filter(line -> line.startsWith(name + "{") || line.startsWith(name + " "))
                    .filter(line -> java.util.Arrays.stream(labelFragments).allMatch(line::contains))
                    .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                    .sum();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the value reaches {@code expected}, then checks that it did not pass it. */
    private static void awaitValue(double expected, DoubleSupplier value) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> value.getAsDouble() >= expected);
        assertEquals(expected, value.getAsDouble());
    }

    /** The Predict and Embed calls a server has answered, from its own metrics. */
    private static double requests(InferenceServer server) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                            "http://127.0.0.1:" + server.managementPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body().lines()
                    .filter(line -> line.startsWith("inference_requests_total{"))
                    .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                    .sum();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
