package dev.inference.gateway;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.grpc.GrpcSerializationFormats;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.docs.DocService;
import com.linecorp.armeria.server.file.FileService;
import com.linecorp.armeria.server.grpc.GrpcService;
import com.linecorp.armeria.server.grpc.HttpJsonTranscodingOptions;
import com.linecorp.armeria.server.prometheus.PrometheusExpositionService;
import dev.inference.api.HealthServices;
import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.gateway.access.Authenticator;
import dev.inference.gateway.access.ModelAccess;
import dev.inference.gateway.admin.AdminAccess;
import dev.inference.gateway.admin.RepositoryAdminService;
import dev.inference.gateway.admin.StatusEndpoints;
import dev.inference.gateway.admin.TrafficAdminService;
import dev.inference.gateway.errors.GrpcHeadersFilter;
import dev.inference.gateway.errors.JsonByDefault;
import dev.inference.gateway.errors.OneMessagePerUnaryCall;
import dev.inference.gateway.errors.RestErrors;
import dev.inference.gateway.errors.RestRoutes;
import dev.inference.gateway.forwarding.Forwarder;
import dev.inference.gateway.forwarding.ForwardingInferenceService;
import dev.inference.gateway.forwarding.ForwardingOpenInferenceService;
import dev.inference.gateway.logging.ErrorLog;
import dev.inference.gateway.metrics.GatewayMetrics;
import dev.inference.gateway.openai.OpenAiEmbeddings;
import dev.inference.gateway.openinference.OpenInferenceRestService;
import dev.inference.gateway.ratelimit.RateLimiter;
import dev.inference.gateway.routing.TrackRouter;
import dev.inference.gateway.routing.Upstream;
import dev.inference.gateway.shadow.ShadowComparison;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway on one port: REST transcoded from the proto's HTTP options, gRPC and gRPC-Web
 * passthrough, the UI under {@code /ui/}, DocService, metrics, health, and the traffic admin.
 */
public final class GatewayServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

    /** The longest a stopping gateway waits for calls in flight (the pod's grace period and sidecar allow for it). */
    public static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);

    private final Server server;
    private final int port;
    private final Services services;

    private GatewayServer(Server server, int port, Services services) {
        this.server = server;
        this.port = port;
        this.services = services;
    }

    /**
     * What {@link #configureServices} leaves running beside the Armeria server: the upstreams' health
     * checks and the gateway's own health. Closing it ends both.
     */
    public record Services(List<Upstream> upstreams, HealthStatusManager health, Optional<RateLimiter> rateLimiter)
            implements AutoCloseable {

        /** NOT_SERVING to the gateway's own health checkers: the first step of a drain. */
        void notServing() {
            health.enterTerminalState();
        }

        void closeUpstreams() {
            upstreams.forEach(Upstream::close);
            rateLimiter.ifPresent(RateLimiter::close);
        }

        @Override
        public void close() {
            notServing();
            closeUpstreams();
        }
    }

    /** Binds the configured ports and returns once the gateway serves. */
    public static GatewayServer start(GatewayConfig config) {
        ServerBuilder builder = Server.builder().http(new InetSocketAddress(config.host, config.port));
        Services services = configureServices(builder, config);
        Server server = builder.build();
        server.start().join();
        int port = server.activePorts().values().stream().mapToInt(active -> active.localAddress().getPort())
                .filter(bound -> bound != config.managementPort).findFirst().orElseThrow();
        log.info("gateway on http://{}:{}/ui/ ({}, shadowing {}%){}", config.host, port,
                config.localMode() ? "local mode, canary weight " + config.canaryWeight + "%" : "mesh mode", config.shadowPercent,
                config.managementPort > 0 ? ", management port " + config.managementPort : "");
        return new GatewayServer(server, port, services);
    }

    /**
     * Wires everything the gateway serves onto {@code builder}, except the main port, which the
     * caller binds: {@link #start} and the tests' {@code ServerExtension} share this.
     */
    public static Services configureServices(ServerBuilder builder, GatewayConfig config) {
        TrackRouter router;
        Optional<TrackRouter.Local> local;
        if (config.localMode()) {
            TrackRouter.Local split = new TrackRouter.Local(
                    Upstream.healthChecked(TrackRouter.Local.STABLE, config.stable),
                    Upstream.healthChecked(TrackRouter.Local.CANARY, config.canary), config.canaryWeight);
            router = split;
            local = Optional.of(split);
        } else {
            router = TrackRouter.mesh(Upstream.mesh(config.upstream));
            local = Optional.empty();
        }
        GatewayMetrics metrics = new GatewayMetrics();
        local.ifPresent(split -> metrics.registerCanaryWeight(split::canaryWeight));
        // The first calls should not find the servers "not yet checked"; a server that is down
        // does not hold the start-up for longer than this.
        router.upstreams().forEach(upstream -> upstream.awaitFirstCheck(Duration.ofSeconds(3)));
        HealthStatusManager health = new HealthStatusManager();
        HealthServices.NAMES.forEach(service -> health.setStatus(service, ServingStatus.SERVING));

        Authenticator authenticator = Authenticator.of(Optional.ofNullable(config.apiKeysFile), Optional.ofNullable(config.jwks),
                Optional.ofNullable(config.jwtIssuer), Optional.ofNullable(config.jwtAudience), metrics);
        Optional<RateLimiter> rateLimiter = config.rateLimit()
                .map(limit -> RateLimiter.of(limit, Optional.ofNullable(config.redis), config.rateLimitReplicas, metrics));
        Forwarder forwarder = new Forwarder(router, metrics, new ModelAccess(metrics), Duration.ofSeconds(config.pinTtlSeconds),
                Duration.ofMillis(config.deadlineMarginMillis), config.defaultTimeout());
        ShadowComparison shadow = new ShadowComparison(config.shadowPercent, config.shadowMaxInFlight, config.shadowMinCosine,
                router, metrics);
        OpenInferenceRestService openInferenceRest = new OpenInferenceRestService(forwarder, shadow::afterInfer);
        RestRoutes restRoutes = RestRoutes.of(InferenceServiceGrpc.getServiceDescriptor());
        RestErrors restErrors = new RestErrors(restRoutes);
        GrpcService grpc = GrpcService.builder()
                .addService(new ForwardingInferenceService(forwarder, shadow::afterAnswer, shadow::afterEmbed))
                .addService(new ForwardingOpenInferenceService(forwarder, shadow::afterInfer))
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .supportedSerializationFormats(GrpcSerializationFormats.values())
                .enableHttpJsonTranscoding(HttpJsonTranscodingOptions.builder().errorHandler(restErrors).build())
                .useClientTimeoutHeader(true)
                .build();

        AdminAccess adminAccess = new AdminAccess(Optional.ofNullable(config.adminToken), authenticator);
        HttpService scrape = PrometheusExpositionService.of(metrics.prometheusRegistry());
        HttpService upstreamHealth = StatusEndpoints.health(router.upstreams());
        builder.maxRequestLength(config.maxRequestBytes)
                .requestTimeout(config.defaultTimeout())
                .errorHandler(restErrors)
                .gracefulShutdownTimeout(Duration.ofSeconds(1), DRAIN_TIMEOUT);
        // On the default virtual host only: services added to the ServerBuilder itself would be
        // served by the management port's virtual host too. The decorator added last runs first:
        // authentication, then the rate limit of the client it found.
        rateLimiter.ifPresent(limiter -> builder.defaultVirtualHost().decorator(limiter.decorator()));
        builder.defaultVirtualHost().decorator(authenticator.decorator());
        // Outermost, so that calls refused by the two above are logged too.
        builder.defaultVirtualHost().decorator(ErrorLog.decorator());
        builder.defaultVirtualHost()
                .service(grpc, service -> service.decorate(new GrpcHeadersFilter()).decorate(new JsonByDefault())
                        .decorate(restRoutes).decorate(new OneMessagePerUnaryCall(InferenceServiceGrpc.SERVICE_NAME)))
                .service("/", (ctx, req) -> HttpResponse.ofRedirect("/ui/"))
                .serviceUnder("/ui/", FileService.of(GatewayServer.class.getClassLoader(), "ui"))
                .serviceUnder("/docs/", DocService.builder().build())
                .annotatedService(openInferenceRest)
                .annotatedService(new OpenAiEmbeddings(forwarder, shadow::afterEmbed))
                .service("/metrics", scrape)
                .service("/internal/health", upstreamHealth)
                .service("/internal/stats", StatusEndpoints.stats(metrics, local, config.shadowPercent))
                .service("/admin/traffic", new TrafficAdminService(local, adminAccess))
                .serviceUnder(RepositoryAdminService.PREFIX, new RepositoryAdminService(router, adminAccess));
        if (config.managementPort > 0) {
            // Outside the sidecar (no mTLS, no AuthorizationPolicy), so a port-based virtual host with
            // only what scrapes and the kubelet's gRPC probes need: no Predict, REST, UI or admin.
            builder.http(new InetSocketAddress(config.host, config.managementPort))
                    .virtualHost(config.managementPort)
                    .decorator(ErrorLog.decorator())
                    .service(GrpcService.builder().addService(health.getHealthService()).build())
                    .service("/metrics", scrape)
                    .service("/internal/health", upstreamHealth);
        }
        return new Services(router.upstreams(), health, rateLimiter);
    }

    /** The main port. */
    public int port() {
        return port;
    }

    /** Drains: NOT_SERVING, then up to {@link #DRAIN_TIMEOUT} for the calls in flight. */
    @Override
    public void close() {
        services.notServing();
        server.stop().join();
        services.closeUpstreams();
    }
}
