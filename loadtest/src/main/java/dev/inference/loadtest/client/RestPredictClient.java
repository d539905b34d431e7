package dev.inference.loadtest.client;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Predict over REST: JSON over HTTP/1.1 with keep-alive connections, as most REST clients do. */
public final class RestPredictClient implements PredictClient {

    private final ClientFactory factory;
    private final WebClient client;
    private final String path;
    private final String version;
    private final Map<String, String> headers;

    public RestPredictClient(String baseUrl, String model, String version, Map<String, String> headers, long timeoutMillis) {
        this.factory = ClientFactory.builder().build();
        this.client = WebClient.builder(baseUrl.replaceFirst("^http://", "h1c://"))
                .factory(factory)
                .responseTimeout(Duration.ofMillis(timeoutMillis))
                .maxResponseLength(16 * 1024 * 1024)
                .build();
        this.path = "/v1/models/" + model + ":predict";
        this.version = version;
        this.headers = headers;
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
        RequestHeadersBuilder request = RequestHeaders.builder(HttpMethod.POST, path).contentType(MediaType.JSON_UTF_8);
        headers.forEach(request::add);
        return client.execute(request.build(), body.toString()).aggregate()
                .thenApply(RestPredictClient::status)
                .exceptionally(error -> (error.getCause() != null ? error.getCause() : error).getClass().getSimpleName());
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
        factory.close();
    }
}
