package dev.inference.loadtest.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

/** One Prometheus scrape of a platform process, summed over series. */
public record Scrape(List<String> lines) {

    public static Scrape of(int port) throws IOException, InterruptedException {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        return new Scrape(body.lines().filter(line -> !line.startsWith("#")).toList());
    }

    /** Only the series carrying this label, such as {@code model_version="1"}. */
    public Scrape with(String label) {
        return new Scrape(lines.stream().filter(line -> line.contains(label)).toList());
    }

    /** The sum of every series of {@code metric}. */
    public double sum(String metric) {
        return lines.stream().filter(line -> line.startsWith(metric + "{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }
}
