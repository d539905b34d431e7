package dev.inference.rollouts.analysis;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
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
        JsonObject body = JsonParser.parseString(response.body()).getAsJsonObject();
        if (response.statusCode() != 200 || !"success".equals(body.get("status").getAsString())) {
            throw new IOException("Prometheus refused the query: " + body.get("error"));
        }
        JsonObject data = body.getAsJsonObject("data");
        List<Double> values = new ArrayList<>();
        switch (data.get("resultType").getAsString()) {
            case "vector" -> {
                for (JsonElement sample : data.getAsJsonArray("result")) {
                    values.add(number(sample.getAsJsonObject().getAsJsonArray("value")));
                }
            }
            case "scalar" -> values.add(number(data.getAsJsonArray("result")));
            default -> throw new IOException("unsupported result type " + data.get("resultType"));
        }
        return values;
    }

    private static double number(JsonArray timeAndValue) {
        String value = timeAndValue.get(1).getAsString();
        return switch (value) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(value);
        };
    }
}
