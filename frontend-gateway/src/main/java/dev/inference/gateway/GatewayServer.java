package dev.inference.gateway;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.grpc.GrpcSerializationFormats;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServerListener;
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

    /** How long a starting gateway waits for its upstreams' first health checks before it binds. */
    private static final Duration FIRST_CHECKS = Duration.ofSeconds(3);

    private final GatewayConfig config;
    private final Server server;

    /** The gateway on the configured ports; binds nothing until {@link #start()}. */
    public GatewayServer(GatewayConfig config) {
        this.config = config;
        ServerBuilder builder = Server.builder().http(new InetSocketAddress(config.host(), config.port()));
        configureServices(builder, config);
        this.server = builder.build();
    }

    /** Binds the configured ports and returns once the gateway serves. */
    public GatewayServer start() {
        server.start().join();
        log.info("gateway on http://{}:{}/ui/ ({}, shadowing {}%){}", config.host(), port(),
                config.localMode() ? "local mode, canary weight " + config.canaryWeight() + "%" : "mesh mode",
                config.shadowPercent(), config.managementPort() > 0 ? ", management port " + config.managementPort() : "");
        return this;
    }

    /**
     * Wires everything the gateway serves onto {@code builder}, except the main port, which the
     * caller binds: the constructor and the tests' {@code ServerExtension} share this. Nothing runs
     * until the server starts: then the upstreams' health checks begin (the first awaited, so that
     * the first calls do not find the servers "not yet checked"); a stopping server turns its own
     * health NOT_SERVING before it drains, and closes the checks and the rate limiter once stopped.
     */
    public static void configureServices(ServerBuilder builder, GatewayConfig config) {
        TrackRouter router;
        Optional<TrackRouter.Local> local;
        if (config.localMode()) {
            TrackRouter.Local split = new TrackRouter.Local(
                    Upstream.healthChecked(TrackRouter.Local.STABLE, config.stable().orElseThrow()),
                    Upstream.healthChecked(TrackRouter.Local.CANARY, config.canary().orElseThrow()), config.canaryWeight());
            router = split;
            local = Optional.of(split);
        } else {
            router = TrackRouter.mesh(Upstream.mesh(config.upstream().orElseThrow()));
            local = Optional.empty();
        }
        GatewayMetrics metrics = new GatewayMetrics();
        local.ifPresent(split -> metrics.registerCanaryWeight(split::canaryWeight));
        HealthStatusManager health = new HealthStatusManager();
        HealthServices.NAMES.forEach(service -> health.setStatus(service, ServingStatus.SERVING));

        Authenticator authenticator = Authenticator.of(config.apiKeysFile(), config.jwks(), config.jwtIssuer(),
                config.jwtAudience(), metrics);
        Optional<RateLimiter> rateLimiter = config.rateLimit()
                .map(limit -> RateLimiter.of(limit, config.redis(), config.rateLimitReplicas(), metrics));
        builder.serverListener(ServerListener.builder()
                .whenStarting(server -> {
                    router.upstreams().forEach(Upstream::start);
                    // A server that is down does not hold the start-up for longer than this.
                    router.upstreams().forEach(upstream -> upstream.awaitFirstCheck(FIRST_CHECKS));
                })
                .whenStopping(server -> health.enterTerminalState())
                .whenStopped(server -> {
                    router.upstreams().forEach(Upstream::close);
                    rateLimiter.ifPresent(RateLimiter::close);
                })
                .build());
        Forwarder forwarder = new Forwarder(router, metrics, new ModelAccess(metrics), config.pinTtl(),
                config.deadlineMargin(), config.defaultTimeout());
        ShadowComparison shadow = new ShadowComparison(config.shadowPercent(), config.shadowMaxInFlight(),
                config.shadowMinCosine(), router, metrics);
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

        AdminAccess adminAccess = new AdminAccess(config.adminToken(), authenticator);
        HttpService scrape = PrometheusExpositionService.of(metrics.prometheusRegistry());
        HttpService upstreamHealth = StatusEndpoints.health(router.upstreams());
        builder.maxRequestLength(config.maxRequestBytes())
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
                .service("/internal/stats", StatusEndpoints.stats(metrics, local, config.shadowPercent()))
                .service("/admin/traffic", new TrafficAdminService(local, adminAccess))
                .serviceUnder(RepositoryAdminService.PREFIX, new RepositoryAdminService(router, adminAccess));
        if (config.managementPort() > 0) {
            // Outside the sidecar (no mTLS, no AuthorizationPolicy), so a port-based virtual host with
            // only what scrapes and the kubelet's gRPC probes need: no Predict, REST, UI or admin.
            builder.http(new InetSocketAddress(config.host(), config.managementPort()))
                    .virtualHost(config.managementPort())
                    .decorator(ErrorLog.decorator())
                    .service(GrpcService.builder().addService(health.getHealthService()).build())
                    .service("/metrics", scrape)
                    .service("/internal/health", upstreamHealth);
        }
    }

    /** The main port, once started. */
    public int port() {
        return server.activePorts().values().stream().mapToInt(active -> active.localAddress().getPort())
                .filter(bound -> bound != config.managementPort()).findFirst().orElseThrow();
    }

    /** Drains: NOT_SERVING, then up to {@link #DRAIN_TIMEOUT} for the calls in flight. */
    @Override
    public void close() {
        server.stop().join();
    }
}
