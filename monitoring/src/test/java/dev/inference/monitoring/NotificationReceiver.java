package dev.inference.monitoring;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/** An HTTP server on loopback that stands in for PagerDuty's Events API and a Slack webhook. */
final class NotificationReceiver implements AutoCloseable {

    record Notification(String path, JsonObject body) {}

    private final HttpServer server;
    private final List<Notification> received = new CopyOnWriteArrayList<>();

    NotificationReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(new Notification(exchange.getRequestURI().getPath(), JsonParser.parseString(body).getAsJsonObject()));
            byte[] ok = "{\"status\":\"success\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(202, ok.length);
            exchange.getResponseBody().write(ok);
            exchange.close();
        });
        server.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** The first notification to {@code path} that matches, waiting up to {@code timeout}. */
    JsonObject await(String path, Predicate<JsonObject> matches, Duration timeout) {
        try {
            return Awaitility.await("a matching notification to " + path).atMost(timeout).pollInterval(Duration.ofMillis(100))
                    .until(() -> received.stream().filter(notification -> notification.path().equals(path)
                            && matches.test(notification.body())).findFirst(), Optional::isPresent)
                    .orElseThrow().body();
        } catch (ConditionTimeoutException none) {
            throw new AssertionError("no matching notification to " + path + " within " + timeout + "; received: " + received, none);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
