package dev.inference.gateway.openinference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.inference.api.Headers;
import dev.inference.gateway.TestPlatform;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** REST /v2 of the Open Inference Protocol through the gateway, to the real servers of the local platform. */
class OpenInferenceRestTest {

    private static final String TWO_REVIEWS = """
            {"id": "r-7", "inputs": [{"name": "text", "datatype": "BYTES", "shape": [2, 1],
              "data": [["Lovely food and kind staff."], ["Cold, rude and dirty."]]}]}""";

    private static TestPlatform platform;

    @BeforeAll
    static void start() throws Exception {
        platform = TestPlatform.shared();
    }

    @Test
    void healthIs200ForTrueWithAnEmptyBodyAndErrorsAreTheSpecificationsObject() throws Exception {
        for (String path : List.of("/v2/health/live", "/v2/health/ready", "/v2/models/sentiment/ready",
                "/v2/models/sentiment/versions/1/ready")) {
            HttpResponse<String> response = platform.get(path);
            assertEquals(200, response.statusCode(), path);
            assertEquals("", response.body(), path);
        }
        HttpResponse<String> unknown = platform.get("/v2/models/sentiment/versions/7/ready");
        assertEquals(404, unknown.statusCode());
        assertTrue(error(unknown).contains("no version \"7\""), unknown.body());
    }

    @Test
    void metadataDescribesServerAndModel() throws Exception {
        JsonObject server = json(platform.get("/v2"));
        assertEquals("inference-platform", server.get("name").getAsString());

        JsonObject model = json(platform.get("/v2/models/sentiment"));
        assertEquals("onnxruntime_onnx", model.get("platform").getAsString());
        assertEquals("text", model.getAsJsonArray("inputs").get(0).getAsJsonObject().get("name").getAsString());
        assertEquals("[-1,2]", model.getAsJsonArray("outputs").get(1).getAsJsonObject().get("shape").toString());
    }

    @Test
    void inferWithJsonTensorsNestedOrFlatAndPinnedByHeader() throws Exception {
        JsonObject response = json(platform.post("/v2/models/sentiment/versions/1/infer", TWO_REVIEWS));

        assertEquals("r-7", response.get("id").getAsString());
        assertEquals("1", response.get("model_version").getAsString());
        JsonObject label = response.getAsJsonArray("outputs").get(0).getAsJsonObject();
        assertEquals("[\"positive\",\"negative\"]", label.get("data").toString());
        JsonObject probabilities = response.getAsJsonArray("outputs").get(1).getAsJsonObject();
        assertEquals("FP32", probabilities.get("datatype").getAsString());
        assertEquals("[\"negative\",\"positive\"]", probabilities.getAsJsonObject("parameters").get("labels").getAsString());
        JsonArray values = probabilities.getAsJsonArray("data");
        assertEquals(1.0, values.get(0).getAsDouble() + values.get(1).getAsDouble(), 1e-5);

        HttpResponse<String> canary = platform.post("/v2/models/sentiment/infer",
                "{\"inputs\": [{\"name\": \"text\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [\"Superb.\"]}]}",
                Headers.TRACK, "canary");
        assertEquals(200, canary.statusCode(), canary.body());
        assertEquals("canary", canary.headers().firstValue(Headers.TRACK).orElseThrow());
        assertEquals("2", json(canary).get("model_version").getAsString());
    }

    @Test
    void badRequestsGetAPreciseStatusAndMessage() throws Exception {
        assertError(platform.post("/v2/models/sentiment/infer", "{not json"), 400, "not an inference request");
        assertError(platform.post("/v2/models/sentiment/infer",
                "{\"inputs\": [{\"name\": \"text\", \"datatype\": \"FP32\", \"shape\": [1], \"data\": [1.0]}]}"),
                400, "input \"text\" has datatype FP32; the model takes BYTES");
        assertError(platform.post("/v2/models/sentiment/infer",
                "{\"inputs\": [{\"name\": \"text\", \"datatype\": \"BYTES\", \"shape\": [3], \"data\": [\"a\", \"b\"]}]}"),
                400, "has shape [3] (3 elements) but 2 elements of data");
        assertError(platform.post("/v2/models/nope/infer", TWO_REVIEWS), 404, "model \"nope\"");
        HttpResponse<String> get = platform.get("/v2/models/sentiment/infer");
        assertError(get, 405, "allowed: POST");
        assertEquals("POST", get.headers().firstValue("allow").orElseThrow());
        assertError(platform.get("/v2/models/sentiment/explain"), 404, "no such Open Inference Protocol path");
        // The repository extension is an admin route of its own (RepositoryAdminTest); errors in this same shape.
        assertError(platform.get("/v2/repository/index"), 405, "take POST");
    }

    private static void assertError(HttpResponse<String> response, int status, String message) {
        assertEquals(status, response.statusCode(), response.body());
        assertTrue(error(response).contains(message), response.body());
    }

    private static String error(HttpResponse<String> response) {
        JsonObject body = JsonParser.parseString(response.body()).getAsJsonObject();
        assertEquals(1, body.size(), "only \"error\", as the specification says: " + body);
        return body.get("error").getAsString();
    }

    private static JsonObject json(HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.body());
        return JsonParser.parseString(response.body()).getAsJsonObject();
    }
}
