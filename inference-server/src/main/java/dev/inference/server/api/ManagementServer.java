package dev.inference.server.metrics;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The management HTTP port: {@code /metrics} in the Prometheus text format, {@code /healthz}
 * (200 while serving, 503 otherwise) and the routes the server adds (the model repository's). Kept off the gRPC port so scrapes and probes never queue
 * behind inference traffic.
 */
public final class ManagementServer implements AutoCloseable {

    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;

    private ManagementServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * @param routes more routes: path prefix to handler
     */
    public static ManagementServer start(String host, int port, InferenceMetrics metrics, BooleanSupplier serving,
            Map<String, HttpHandler> routes) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
        routes.forEach(server::createContext);
        server.createContext("/metrics", exchange -> {
            if (allowGet(exchange)) {
                respond(exchange, 200, PROMETHEUS_TEXT, metrics.scrape());
            }
        });
        server.createContext("/healthz", exchange -> {
            if (allowGet(exchange)) {
                boolean up = serving.getAsBoolean();
                respond(exchange, up ? 200 : 503, "text/plain; charset=utf-8", up ? "SERVING\n" : "NOT_SERVING\n");
            }
        });
        server.createContext("/", exchange -> respond(exchange, 404, "text/plain; charset=utf-8",
                "not found: try /metrics or /healthz\n"));
        ExecutorService executor = Executors.newFixedThreadPool(2,
                new ThreadFactoryBuilder().setNameFormat("management-http-%d").setDaemon(true).build());
        server.setExecutor(executor);
        server.start();
        return new ManagementServer(server, executor);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static boolean allowGet(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        if (method.equals("GET") || method.equals("HEAD")) {
            return true;
        }
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        respond(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
        return false;
    }

    /** Answers with {@code body}, none for HEAD, and closes the exchange. */
    public static void respond(HttpExchange exchange, int status, String contentType, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head || bytes.length == 0 ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
