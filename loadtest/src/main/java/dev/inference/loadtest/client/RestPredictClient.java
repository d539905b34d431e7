package dev.inference.loadtest.client;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Predict over REST: JSON over HTTP/1.1 with keep-alive connections, as most REST clients do. */
public final class RestPredictClient implements PredictClient {

    private final JsonPoster poster;
    private final String path;
    private final String version;

    public RestPredictClient(String baseUrl, String model, String version, Map<String, String> headers, long timeoutMillis) {
        this.poster = new JsonPoster(baseUrl, headers, timeoutMillis);
        this.path = "/v1/models/" + model + ":predict";
        this.version = version;
    }

    @Override
    public CompletableFuture<String> predict(List<String> texts) {
        JsonObject body = new JsonObject();
        JsonArray instances = new JsonArray();
        texts.forEach(instances::add);
        body.add("instances", instances);
        if (!version.isEmpty()) {
            body.addProperty("version", version);
        }
        return poster.post(path, body.toString(), RestPredictClient::status);
    }

    private static String status(AggregatedHttpResponse response) {
        if (response.status().code() == 200) {
            return OK;
        }
        try {
            return JsonParser.parseString(response.contentUtf8()).getAsJsonObject()
                    .getAsJsonObject("error").get("status").getAsString();
        } catch (RuntimeException notJson) {
            return "HTTP_" + response.status().code();
        }
    }

    @Override
    public void close() {
        poster.close();
    }
}
