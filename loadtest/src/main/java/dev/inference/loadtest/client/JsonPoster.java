package dev.inference.loadtest.client;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** JSON POSTs over HTTP/1.1 with keep-alive connections, as most REST clients send them. */
final class JsonPoster implements AutoCloseable {

    private final ClientFactory factory = ClientFactory.builder().build();
    private final WebClient client;
    private final Map<String, String> headers;

    JsonPoster(String baseUrl, Map<String, String> headers, long timeoutMillis) {
        this.client = WebClient.builder(baseUrl.replaceFirst("^http://", "h1c://"))
                .factory(factory)
                .responseTimeout(Duration.ofMillis(timeoutMillis))
                .maxResponseLength(16 * 1024 * 1024)
                .build();
        this.headers = headers;
    }

    /**
     * @param status the call's status from its response
     * @return completes, never exceptionally: a transport failure is named by its exception
     */
    CompletableFuture<String> post(String path, String json, java.util.function.Function<AggregatedHttpResponse, String> status) {
        RequestHeadersBuilder request = RequestHeaders.builder(HttpMethod.POST, path).contentType(MediaType.JSON_UTF_8);
        headers.forEach(request::add);
        return client.execute(request.build(), json).aggregate()
                .thenApply(status)
                .exceptionally(error -> (error.getCause() != null ? error.getCause() : error).getClass().getSimpleName());
    }

    @Override
    public void close() {
        factory.close();
    }
}
