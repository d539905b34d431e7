package dev.inference.server.api;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.inference.server.metrics.InferenceMetrics;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The management HTTP port: {@code /metrics} through the Prometheus client's own handler (the text
 * format, OpenMetrics or protobuf as the scraper asks, gzip when accepted), {@code /healthz} (200
 * while serving, 503 otherwise) and the model repository extension ({@link RepositoryHttp}). Kept
 * off the gRPC port so scrapes and probes never queue behind inference traffic.
 *
 * <p>On the JDK's HTTP server, as the Prometheus client's own exporter is: the port serves a few
 * requests a second, and Armeria here (measured: about 0.3 s more to start with the class archive,
 * 40 MB more committed memory, a 21 MB larger jar) would cost every pod more than it saves. The
 * methods a path takes are one {@link Methods} filter per context; the JDK's server itself sends no
 * body for HEAD.
 */
public final class ManagementServer implements AutoCloseable {

    private static final String TEXT = "text/plain; charset=utf-8";

    private final InetSocketAddress address;
    private final InferenceMetrics metrics;
    private final BooleanSupplier serving;
    private final RepositoryHttp repository;
    private HttpServer server;
    private ExecutorService executor;

    /** Builds the port's routes; {@link #start()} binds it. */
    public ManagementServer(String host, int port, InferenceMetrics metrics, BooleanSupplier serving,
            RepositoryHttp repository) {
        this.address = new InetSocketAddress(host, port);
        this.metrics = metrics;
        this.serving = serving;
        this.repository = repository;
    }

    /** Binds the port. */
    public synchronized ManagementServer start() throws IOException {
        server = HttpServer.create(address, 16);
        route("/metrics", Methods.GET, new MetricsHandler(metrics.prometheusRegistry()));
        route("/healthz", Methods.GET, exchange -> {
            boolean up = serving.getAsBoolean();
            respond(exchange, up ? 200 : 503, TEXT, up ? "SERVING\n" : "NOT_SERVING\n");
        });
        route(RepositoryHttp.PREFIX, Methods.POST, repository);
        server.createContext("/", exchange -> respond(exchange, 404, TEXT,
                "no route " + exchange.getRequestURI().getPath() + ": try /metrics, /healthz or " + RepositoryHttp.PREFIX
                        + "index\n"));
        executor = Executors.newFixedThreadPool(2,
                new ThreadFactoryBuilder().setNameFormat("management-http-%d").setDaemon(true).build());
        server.setExecutor(executor);
        server.start();
        return this;
    }

    private void route(String path, Methods methods, HttpHandler handler) {
        server.createContext(path, handler).getFilters().add(methods);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Answers with {@code body} and closes the exchange (the JDK's server sends no body for HEAD). */
    static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
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
    public synchronized void close() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    /** The methods a context takes; any other is 405 with {@code Allow}, in the route's own error shape. */
    private static final class Methods extends Filter {

        static final Methods GET = new Methods(Set.of("GET", "HEAD"), "GET, HEAD");
        static final Methods POST = new Methods(Set.of("POST"), "POST");

        private final Set<String> allowed;
        private final String allow;

        private Methods(Set<String> allowed, String allow) {
            this.allowed = allowed;
            this.allow = allow;
        }

        @Override
        public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
            String method = exchange.getRequestMethod();
            if (allowed.contains(method)) {
                chain.doFilter(exchange);
                return;
            }
            exchange.getResponseHeaders().set("Allow", allow);
            String message = method + " is not allowed on " + exchange.getRequestURI().getPath();
            if (exchange.getHttpContext().getPath().equals(RepositoryHttp.PREFIX)) {
                RepositoryHttp.error(exchange, 405, message);
            } else {
                respond(exchange, 405, TEXT, message + "\n");
            }
        }

        @Override
        public String description() {
            return "allows " + allow;
        }
    }
}
