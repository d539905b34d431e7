package dev.inference.loadtest.client;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The Open Inference Protocol v2 over REST: {@code POST /v2/models/{m}[/versions/{v}]/infer} with JSON tensors. */
public final class OpenInferenceRestClient implements PredictClient {

    private final JsonPoster poster;
    private final String path;

    public OpenInferenceRestClient(String baseUrl, String model, String version, Map<String, String> headers,
            long timeoutMillis) {
        this.poster = new JsonPoster(baseUrl, headers, timeoutMillis);
        this.path = "/v2/models/" + model + (version.isEmpty() ? "" : "/versions/" + version) + "/infer";
    }

    @Override
    public CompletableFuture<String> predict(List<String> texts) {
        JsonObject input = new JsonObject();
        input.addProperty("name", "text");
        input.addProperty("datatype", "BYTES");
        JsonArray shape = new JsonArray();
        shape.add(texts.size());
        input.add("shape", shape);
        JsonArray data = new JsonArray();
        texts.forEach(data::add);
        input.add("data", data);
        JsonArray inputs = new JsonArray();
        inputs.add(input);
        JsonObject body = new JsonObject();
        body.add("inputs", inputs);
        return poster.post(path, body.toString(), OpenInferenceRestClient::status);
    }

    /** The protocol's errors carry only a message, so a failure is named by its HTTP status. */
    private static String status(AggregatedHttpResponse response) {
        return response.status().code() == 200 ? OK : "HTTP_" + response.status().code();
    }

    @Override
    public void close() {
        poster.close();
    }
}
