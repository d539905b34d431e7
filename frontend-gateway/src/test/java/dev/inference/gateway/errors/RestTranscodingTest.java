package dev.inference.gateway.errors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.PredictRequest;
import dev.inference.api.v1.PredictResponse;
import dev.inference.gateway.GatewayServer;
import dev.inference.gateway.TestPlatform;
import dev.inference.server.FreePorts;
import dev.inference.server.InferenceServer;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RestTranscodingTest {

    private static TestPlatform platform;

    @BeforeAll
    static void start() throws Exception {
        platform = TestPlatform.shared();
    }

    @Test
    void restPredictReturnsWhatGrpcReturns() throws Exception {
        List<String> texts = List.of("The food was great", "Cold soup and a rude waiter");
        ManagedChannel direct = NettyChannelBuilder.forAddress("127.0.0.1", platform.stable.port()).usePlaintext().build();
        PredictResponse grpc = InferenceServiceGrpc.newBlockingStub(direct).withDeadlineAfter(10, TimeUnit.SECONDS)
                .predict(PredictRequest.newBuilder().setModel("sentiment").addAllInstances(texts).build());
        direct.shutdownNow();

        HttpResponse<String> rest = platform.post("/v1/models/sentiment:predict",
                "{\"instances\":[\"The food was great\",\"Cold soup and a rude waiter\"]}", "x-model-track", "stable");

        assertEquals(200, rest.statusCode(), rest.body());
        JsonObject body = JsonParser.parseString(rest.body()).getAsJsonObject();
        assertEquals("sentiment", body.get("model").getAsString());
        assertEquals("1", body.get("modelVersion").getAsString());
        JsonArray predictions = body.getAsJsonArray("predictions");
        for (int i = 0; i < texts.size(); i++) {
            JsonObject prediction = predictions.get(i).getAsJsonObject();
            assertEquals(grpc.getPredictions(i).getLabel(), prediction.get("label").getAsString());
            assertEquals(grpc.getPredictions(i).getScore(), prediction.get("score").getAsFloat(), 1e-6f);
            assertEquals(grpc.getPredictions(i).getScoresOrThrow("positive"),
                    prediction.getAsJsonObject("scores").get("positive").getAsFloat(), 1e-6f);
        }
        assertEquals("stable", rest.headers().firstValue("x-model-track").orElseThrow());
        assertEquals("1", rest.headers().firstValue("x-model-version").orElseThrow());
        assertNoGrpcHeaders(rest);
    }

    @Test
    void bodyWithoutAJsonContentTypeIsReadAsJsonLikeCurlSendsIt() throws Exception {
        for (String type : new String[] {"application/x-www-form-urlencoded", null}) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(platform.url("/v1/models/sentiment:predict")))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"instances\":[\"Great food\"]}"));
            if (type != null) {
                request.header("content-type", type);
            }
            HttpResponse<String> response = TestPlatform.send(request);

            assertEquals(200, response.statusCode(), type + ": " + response.body());
            assertTrue(response.body().contains("\"label\":\"positive\""), response.body());
        }
    }

    @Test
    void requestIdThatCannotTravelAsGrpcMetadataIsReplacedNotFatal() throws Exception {
        com.linecorp.armeria.common.AggregatedHttpResponse response = com.linecorp.armeria.client.WebClient
                .of(platform.url(""))
                .execute(com.linecorp.armeria.common.RequestHeaders.builder(
                                com.linecorp.armeria.common.HttpMethod.POST, "/v1/models/sentiment:predict")
                        .contentType(com.linecorp.armeria.common.MediaType.JSON_UTF_8)
                        .add("x-request-id", "caf\u00e9-42")
                        .add("traceparent", "\u00fc")
                        .build(), "{\"instances\":[\"Nice\"]}")
                .aggregate().join();

        assertEquals(200, response.status().code(), response.contentUtf8());
        assertEquals(36, response.headers().get("x-request-id").length(), "a generated id instead");
    }

    @Test
    void getModelAndListModelsAreTranscoded() throws Exception {
        HttpResponse<String> model = platform.get("/v1/models/sentiment", "x-model-track", "canary");
        assertEquals(200, model.statusCode());
        assertEquals("2", JsonParser.parseString(model.body()).getAsJsonObject().get("defaultVersion").getAsString());

        HttpResponse<String> models = platform.get("/v1/models");
        assertEquals(200, models.statusCode());
        assertEquals(List.of("all-minilm-l6-v2", "sentiment"), JsonParser.parseString(models.body()).getAsJsonObject()
                .getAsJsonArray("models").asList().stream()
                .map(entry -> entry.getAsJsonObject().get("name").getAsString()).toList());
        assertNoGrpcHeaders(models);
    }

    @Test
    void upstreamErrorsKeepTheirMessageAndMapToHttp() throws Exception {
        assertError(platform.post("/v1/models/spam:predict", "{\"instances\":[\"x\"]}"),
                404, "NOT_FOUND", "model \"spam\" not found");
        assertError(platform.post("/v1/models/sentiment:predict", "{\"version\":\"9\",\"instances\":[\"x\"]}"),
                404, "NOT_FOUND", "has no version \"9\"");
        assertError(platform.post("/v1/models/sentiment:predict", "{\"instances\":[]}"),
                400, "INVALID_ARGUMENT", "instances must hold at least one text");
        String tooMany = "{\"instances\":[" + String.join(",", Collections.nCopies(65, "\"x\"")) + "]}";
        assertError(platform.post("/v1/models/sentiment:predict", tooMany), 400, "INVALID_ARGUMENT", "too many instances");
    }

    @Test
    void gatewayErrorsAreJsonToo() throws Exception {
        assertError(platform.post("/v1/models/sentiment:predict", "{\"instances\":["),
                400, "INVALID_ARGUMENT", "the request is malformed");
        assertError(platform.get("/v3/nothing"), 404, "NOT_FOUND", "no route for GET /v3/nothing");
        String huge = "{\"instances\":[\"" + "a".repeat(1_100_000) + "\"]}";
        assertError(platform.post("/v1/models/sentiment:predict", huge), 413, "RESOURCE_EXHAUSTED", "byte limit");
    }

    @Test
    void fullUpstreamQueueIs429() throws Exception {
        InferenceServer tiny = TestPlatform.inferenceServer(TestPlatform.serverConfig().queueCapacity(2));
        GatewayServer gateway = TestPlatform.gateway(TestPlatform.gatewayConfig(tiny));
        try {
            HttpResponse<String> response = TestPlatform.post(gateway, "/v1/models/sentiment:predict", "{\"instances\":[\"a\",\"b\",\"c\"]}");

            assertError(response, 429, "RESOURCE_EXHAUSTED", "retry with backoff");
        } finally {
            gateway.close();
            tiny.stop(java.time.Duration.ofSeconds(1));
        }
    }

    @Test
    void upstreamDownIs503WithoutInternalDetails() throws Exception {
        int deadPort = FreePorts.next();
        GatewayServer gateway = TestPlatform.gateway(TestPlatform.gatewayConfig().upstream("127.0.0.1:" + deadPort));
        try {
            HttpResponse<String> response = TestPlatform.post(gateway, "/v1/models/sentiment:predict", "{\"instances\":[\"a\"]}");

            assertError(response, 503, "UNAVAILABLE", "the inference service (mesh) is unavailable");
            assertFalse(response.body().contains(String.valueOf(deadPort)), "no address leaks: " + response.body());
            assertEquals(503, TestPlatform.send(HttpRequest.newBuilder(
                    URI.create(TestPlatform.url(gateway, "/internal/health")))).statusCode());
        } finally {
            gateway.close();
        }
    }

    @Test
    void passedDeadlineIs504() throws Exception {
        InferenceServer slow = TestPlatform.inferenceServer(TestPlatform.serverConfig().injectLatency(Duration.ofMillis(1500)));
        GatewayServer gateway = TestPlatform.gateway(TestPlatform.gatewayConfig(slow));
        try {
            HttpResponse<String> response = TestPlatform.post(gateway, "/v1/models/sentiment:predict", "{\"instances\":[\"a\"]}", "grpc-timeout", "300m");

            assertEquals(504, response.statusCode(), response.body());
            assertTrue(response.body().contains("\"status\":\"DEADLINE_EXCEEDED\""), response.body());
            assertNoGrpcHeaders(response);
        } finally {
            gateway.close();
            slow.stop(java.time.Duration.ofSeconds(3));
        }
    }

    static void assertError(HttpResponse<String> response, int status, String code, String message) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonObject error = JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonObject("error");
        assertEquals(status, error.get("code").getAsInt());
        assertEquals(code, error.get("status").getAsString());
        assertTrue(error.get("message").getAsString().contains(message), error.get("message").getAsString());
        assertFalse(response.body().contains("Exception"), response.body());
        assertNoGrpcHeaders(response);
    }

    static void assertNoGrpcHeaders(HttpResponse<String> response) {
        assertTrue(response.headers().map().keySet().stream().noneMatch(name -> name.startsWith("grpc-")),
                response.headers().map().toString());
    }
}
