package dev.inference.server.api;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.annotation.Nullable;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.util.EventLoopGroups;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerErrorHandler;
import com.linecorp.armeria.server.ServiceConfig;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.prometheus.PrometheusExpositionService;
import dev.inference.server.metrics.InferenceMetrics;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * The management HTTP port, on Armeria: {@code /metrics} (Armeria's Prometheus exposition, the text
 * format or OpenMetrics as the scraper asks), {@code /healthz} (200 while serving, 503 otherwise)
 * and the model repository extension's routes. Kept off the gRPC port so scrapes and probes never
 * queue behind inference traffic. Armeria answers HEAD on the GET routes, 405 for a method a route
 * does not take, 404 for a path none has and 413 for a body over the limit; {@link Errors} words
 * those, in the repository extension's {@code {"error": "..."}} shape under its prefix.
 */
public final class ManagementServer implements AutoCloseable {

    /** The largest request body: the repository extension's requests are a few bytes of JSON. */
    static final int MAX_REQUEST_BYTES = 64 * 1024;

    private final Server server;

    /** Builds the port's server; {@link #start()} binds it. */
    public ManagementServer(String host, int port, InferenceMetrics metrics, BooleanSupplier serving,
            RepositoryHttp repository) {
        this.server = Server.builder()
                .http(new InetSocketAddress(host, port))
                // Scrapes, probes and repository calls are a few a second: one event loop, not one per core.
                .workerGroup(EventLoopGroups.newEventLoopGroup(1, "management-http", true), true)
                .maxRequestLength(MAX_REQUEST_BYTES)
                .gracefulShutdownTimeout(Duration.ZERO, Duration.ZERO)
                .service("/metrics", PrometheusExpositionService.of(metrics.prometheusRegistry()))
                .route().get("/healthz").build((ctx, req) -> serving.getAsBoolean()
                        ? HttpResponse.of(HttpStatus.OK, MediaType.PLAIN_TEXT_UTF_8, "SERVING\n")
                        : HttpResponse.of(HttpStatus.SERVICE_UNAVAILABLE, MediaType.PLAIN_TEXT_UTF_8, "NOT_SERVING\n"))
                .annotatedService(repository)
                .errorHandler(new Errors())
                .build();
    }

    /** Binds the port. */
    public ManagementServer start() {
        server.start().join();
        return this;
    }

    public int port() {
        return server.activeLocalPort();
    }

    @Override
    public void close() {
        server.stop().join();
    }

    /** The errors Armeria answers itself, worded for whoever reads the port: a person with curl, or a repository client. */
    private static final class Errors implements ServerErrorHandler {

        @Override
        public @Nullable HttpResponse onServiceException(ServiceRequestContext ctx, Throwable cause) {
            return null; // Armeria's own handling, rendered below
        }

        @Override
        public @Nullable AggregatedHttpResponse renderStatus(@Nullable ServiceRequestContext ctx, ServiceConfig config,
                @Nullable RequestHeaders headers, HttpStatus status, @Nullable String description,
                @Nullable Throwable cause) {
            if (headers == null) {
                return null;
            }
            String path = headers.path();
            String message = switch (status.code()) {
                case 404 -> "no route " + path + ": try /metrics, /healthz or " + RepositoryHttp.PREFIX + "index";
                case 405 -> headers.method() + " is not allowed on " + path;
                case 413 -> "the request body is over " + config.maxRequestLength() + " bytes";
                default -> description != null ? description : status.reasonPhrase();
            };
            if (!path.startsWith(RepositoryHttp.PREFIX)) {
                return AggregatedHttpResponse.of(status, MediaType.PLAIN_TEXT_UTF_8, message + "\n");
            }
            AggregatedHttpResponse error = RepositoryHttp.error(status, message);
            return status.code() == 405
                    ? AggregatedHttpResponse.of(error.headers().toBuilder().set("allow", "POST").build(), error.content())
                    : error;
        }
    }
}
