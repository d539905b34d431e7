package dev.inference.rollouts.analysis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Instant queries against Prometheus' HTTP API; a result is one value per series, as Argo sees it. */
public final class PrometheusQuery {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String address;

    public PrometheusQuery(String address) {
        this.address = address.replaceAll("/+$", "");
    }

    /** @throws IOException when Prometheus cannot be reached or refuses the query (an Error measurement) */
    public List<Double> query(String promql) throws IOException, InterruptedException {
        URI uri = URI.create(address + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(response.body());
        if (response.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
            throw new IOException("Prometheus refused the query: " + body.get("error"));
        }
        JsonNode data = body.get("data");
        List<Double> values = new ArrayList<>();
        switch (data.get("resultType").asText()) {
            case "vector" -> {
                for (JsonNode sample : data.get("result")) {
                    values.add(number(sample.get("value")));
                }
            }
            case "scalar" -> values.add(number(data.get("result")));
            default -> throw new IOException("unsupported result type " + data.get("resultType"));
        }
        return values;
    }

    private static double number(JsonNode timeAndValue) {
        String value = timeAndValue.get(1).asText();
        return switch (value) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(value);
        };
    }
}
