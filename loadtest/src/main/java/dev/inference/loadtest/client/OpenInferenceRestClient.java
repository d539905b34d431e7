package dev.inference.loadtest.client;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
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

/** The Open Inference Protocol v2 over REST: {@code POST /v2/models/{m}[/versions/{v}]/infer} with JSON tensors. */
public final class OpenInferenceRestClient implements PredictClient {

    private final ClientFactory factory;
    private final WebClient client;
    private final String path;
    private final Map<String, String> headers;

    public OpenInferenceRestClient(String baseUrl, String model, String version, Map<String, String> headers,
            long timeoutMillis) {
        this.factory = ClientFactory.builder().build();
        this.client = WebClient.builder(baseUrl.replaceFirst("^http://", "h1c://"))
                .factory(factory)
                .responseTimeout(Duration.ofMillis(timeoutMillis))
                .maxResponseLength(16 * 1024 * 1024)
                .build();
        this.path = "/v2/models/" + model + (version.isEmpty() ? "" : "/versions/" + version) + "/infer";
        this.headers = headers;
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
        RequestHeadersBuilder request = RequestHeaders.builder(HttpMethod.POST, path).contentType(MediaType.JSON_UTF_8);
        headers.forEach(request::add);
        return client.execute(request.build(), body.toString()).aggregate()
                .thenApply(OpenInferenceRestClient::status)
                .exceptionally(error -> (error.getCause() != null ? error.getCause() : error).getClass().getSimpleName());
    }

    /** The protocol's errors carry only a message, so a failure is named by its HTTP status. */
    private static String status(AggregatedHttpResponse response) {
        return response.status().code() == 200 ? OK : "HTTP_" + response.status().code();
    }

    @Override
    public void close() {
        factory.close();
    }
}
