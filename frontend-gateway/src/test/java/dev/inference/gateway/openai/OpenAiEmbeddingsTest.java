package dev.inference.gateway.openai;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.inference.api.v1.EmbedRequest;
import dev.inference.api.v1.EmbedResponse;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.gateway.GatewayServer;
import dev.inference.gateway.TestPlatform;
import dev.inference.server.FreePorts;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's {@code POST /v1/embeddings} through the official OpenAI client for Node.js (npm
 * {@code openai}), as a retrieval application calls it, and its errors over plain HTTP.
 */
class OpenAiEmbeddingsTest {

    private static final String MODEL = "all-minilm-l6-v2";
    private static final List<String> TEXTS = List.of(
            "Where can I find the refund policy?",
            "Our refund policy allows returns within thirty days of purchase, with the receipt.",
            "The weather in Lisbon is mild in winter.");

    private static TestPlatform platform;

    @BeforeAll
    static void start() throws Exception {
        platform = TestPlatform.shared();
    }

    /** Version 1 (FP32) straight from the stable server, without the gateway. */
    private static EmbedResponse direct() throws InterruptedException {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", platform.stable.port()).usePlaintext().build();
        try {
            return InferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                    .embed(EmbedRequest.newBuilder().setModel(MODEL).setVersion("1").addAllInstances(TEXTS).build());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static float[] floats(JsonArray values) {
        float[] vector = new float[values.size()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = values.get(i).getAsFloat();
        }
        return vector;
    }

    @Test
    void theOfficialOpenAiClientGetsTheModelsVectorsAsItAsksByDefaultAndAsFloats() throws Exception {
        JsonObject answers = OpenAiClient.embeddings(platform.url("/v1"), "unused-without-credentials-configured",
                MODEL + ":1", TEXTS);
        EmbedResponse expected = direct();

        for (String way : List.of("byDefault", "asFloats")) {
            JsonObject answer = answers.getAsJsonObject(way);
            assertEquals("list", answer.get("object").getAsString(), way);
            assertEquals(MODEL + ":1", answer.get("model").getAsString(), way);
            JsonArray data = answer.getAsJsonArray("data");
            assertEquals(TEXTS.size(), data.size(), way);
            for (int i = 0; i < TEXTS.size(); i++) {
                JsonObject item = data.get(i).getAsJsonObject();
                assertEquals("embedding", item.get("object").getAsString());
                assertEquals(i, item.get("index").getAsInt());
                float[] want = new float[expected.getDimension()];
                for (int j = 0; j < want.length; j++) {
                    want[j] = expected.getEmbeddings(i).getValues(j);
                }
                // base64 carries the float32 bits; JSON numbers print the float's shortest form.
                assertArrayEquals(want, floats(item.getAsJsonArray("embedding")), 1e-7f, way + " text " + i);
            }
            JsonObject usage = answer.getAsJsonObject("usage");
            assertEquals(expected.getPromptTokens(), usage.get("prompt_tokens").getAsInt(), way);
            assertEquals(expected.getPromptTokens(), usage.get("total_tokens").getAsInt(), way);
        }
        JsonObject notFound = answers.getAsJsonObject("notFound").getAsJsonObject("error");
        assertEquals(404, notFound.get("status").getAsInt());
        assertEquals("model_not_found", notFound.get("code").getAsString());
        assertEquals("invalid_request_error", notFound.get("type").getAsString());
    }

    @Test
    void badRequestsAnswerInOpenAisErrorShapeNamingTheParameter() throws Exception {
        assertError(platform.post("/v1/embeddings", "{\"model\": \"" + MODEL + "\"}"), 400,
                "input is required: a string or an array of strings", "input");
        assertError(platform.post("/v1/embeddings", "{\"model\": \"" + MODEL + "\", \"input\": []}"), 400,
                "input must be a string or a non-empty array of strings", "input");
        assertError(platform.post("/v1/embeddings", "{\"model\": \"" + MODEL + "\", \"input\": [\"ok\", \"\"]}"), 400,
                "input[1] is empty", "input");
        assertError(platform.post("/v1/embeddings", "{\"model\": \"" + MODEL + "\", \"input\": [[101, 2023]]}"), 400,
                "input[0] is not a string; token arrays are not supported", "input");
        assertError(platform.post("/v1/embeddings",
                "{\"model\": \"" + MODEL + "\", \"input\": \"hi\", \"encoding_format\": \"int8\"}"), 400,
                "encoding_format must be \"float\" or \"base64\"", "encoding_format");
        assertError(platform.post("/v1/embeddings", "{\"input\": \"hi\"}"), 400,
                "model is required and must be a string", "model");
        assertError(platform.post("/v1/embeddings", "not json"), 400, null, null);
        assertError(platform.post("/v1/embeddings", "{\"model\": \"sentiment:1\", \"input\": \"hi\"}"), 400,
                "model \"sentiment\" version \"1\" is a text-classification model; Embed serves text-embedding models:"
                        + " call it with Predict (POST /v1/models/sentiment:predict)", null);
        HttpResponse<String> get = platform.get("/v1/embeddings");
        assertError(get, 405, "GET is not allowed on /v1/embeddings", null);
        assertEquals("POST", get.headers().firstValue("allow").orElse(""));
    }

    @Test
    void aServerThatIsDownIsAnOpenAiServerErrorAndTheGatewayKeepsServing() throws Exception {
        GatewayServer gateway = TestPlatform.gateway(TestPlatform.gatewayConfig().upstream("127.0.0.1:" + FreePorts.next()));
        try {
            HttpResponse<String> answer = TestPlatform.post(gateway, "/v1/embeddings",
                    "{\"model\": \"" + MODEL + "\", \"input\": \"hi\"}");

            assertEquals(503, answer.statusCode(), answer.body());
            JsonObject error = JsonParser.parseString(answer.body()).getAsJsonObject().getAsJsonObject("error");
            assertEquals("server_error", error.get("type").getAsString());
            assertEquals(200, TestPlatform.get(gateway, "/metrics").statusCode(), "the gateway still answers");
        } finally {
            gateway.close();
        }
    }

    @Test
    void theTranscodedEmbedRouteAndOpenAisAgree() throws Exception {
        HttpResponse<String> rest = platform.post("/v1/models/" + MODEL + ":embed",
                "{\"version\": \"1\", \"instances\": [\"" + TEXTS.get(0) + "\"]}");
        HttpResponse<String> openAi = platform.post("/v1/embeddings",
                "{\"model\": \"" + MODEL + ":1\", \"input\": \"" + TEXTS.get(0) + "\"}");

        assertEquals(200, rest.statusCode(), rest.body());
        assertEquals(200, openAi.statusCode(), openAi.body());
        JsonObject transcoded = JsonParser.parseString(rest.body()).getAsJsonObject();
        assertEquals(384, transcoded.get("dimension").getAsInt());
        assertArrayEquals(floats(transcoded.getAsJsonArray("embeddings").get(0).getAsJsonObject().getAsJsonArray("values")),
                floats(JsonParser.parseString(openAi.body()).getAsJsonObject().getAsJsonArray("data").get(0)
                        .getAsJsonObject().getAsJsonArray("embedding")), 1e-7f);
    }

    private static void assertError(HttpResponse<String> response, int status, String message, String param) {
        assertEquals(status, response.statusCode(), response.body());
        JsonObject error = JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonObject("error");
        if (message != null) {
            assertEquals(message, error.get("message").getAsString());
        }
        assertTrue(error.has("type") && error.has("param") && error.has("code"), response.body());
        JsonElement actualParam = error.get("param");
        assertEquals(param, actualParam.isJsonNull() ? null : actualParam.getAsString());
    }
}
