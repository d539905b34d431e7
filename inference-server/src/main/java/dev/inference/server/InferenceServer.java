package dev.inference.server;

import com.google.common.util.concurrent.MoreExecutors;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import dev.inference.api.HealthServices;
import dev.inference.platform.ManifestVersion;
import dev.inference.server.api.DocumentedSchema;
import dev.inference.server.api.FaultInjection;
import dev.inference.server.api.InferenceService;
import dev.inference.server.api.ModelCalls;
import dev.inference.server.api.ModelHeadersInterceptor;
import dev.inference.server.api.OpenInferenceService;
import dev.inference.server.api.RepositoryHttp;
import dev.inference.server.api.RepositoryService;
import dev.inference.server.api.RequestLimits;
import dev.inference.server.metrics.InferenceMetrics;
import dev.inference.server.metrics.ManagementServer;
import dev.inference.server.registry.ModelLoader;
import dev.inference.server.registry.ModelRegistry;
import dev.inference.server.registry.RepositoryControl;
import dev.inference.server.track.TrackSource;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inference server's lifecycle: bind both ports at once (health NOT_SERVING, so probes and
 * load balancers wait), load and warm every model, turn SERVING; on shutdown turn NOT_SERVING,
 * refuse new calls, let in-flight calls finish within the grace period, then release the models.
 */
public final class InferenceServer {

    private static final Logger log = LoggerFactory.getLogger(InferenceServer.class);
    private static final long TRACK_POLL_MILLIS = 2000;

    /** How long a draining server must see no call open before it closes (see {@link OpenCalls}). */
    private static final Duration DRAIN_QUIET_PERIOD = Duration.ofMillis(200);

    private final ServerConfig config;
    private final InferenceMetrics metrics = new InferenceMetrics();
    private final HealthStatusManager health = new HealthStatusManager();
    private final AtomicReference<RepositoryControl> repository = new AtomicReference<>();
    /** Runs the repository's loads and unloads one at a time, off the transport's threads. */
    private final ExecutorService repositoryChanges;
    private final ScheduledExecutorService delayer;
    private final TrackSource track;
    private final Server grpcServer;
    private ManagementServer management;
    private final InferenceService service;
    private final OpenCalls openCalls = new OpenCalls();
    private final EventLoops eventLoops;
    private WarmUp.Outcome warmUp;
    private volatile boolean serving;

    /**
     * Wires every service onto {@code transport}; starts nothing.
     *
     * @param eventLoops the loops {@code transport} runs on, or null when it is not Netty
     */
    private InferenceServer(ServerConfig config, ServerBuilder<?> transport, EventLoops eventLoops) {
        this.config = config;
        this.eventLoops = eventLoops;
        setHealth(ServingStatus.NOT_SERVING);
        this.track = config.podLabelsFile != null
                ? TrackSource.fromPodLabels(config.podLabelsFile, config.track, config.revision, TRACK_POLL_MILLIS)
                : TrackSource.fixed(config.track, config.revision);
        this.delayer = Executors.newSingleThreadScheduledExecutor(
                new ThreadFactoryBuilder().setNameFormat("injected-latency").setDaemon(true).build());
        FaultInjection faults = new FaultInjection(config.injectLatencyMillis, config.injectErrorRate);
        if (faults.enabled()) {
            log.warn("FAULT INJECTION IS ON: +{} ms latency on every Predict, {}% of Predicts fail with INTERNAL."
                    + " Never run this in production.", faults.latencyMillis(), faults.errorRate() * 100);
        }
        this.repositoryChanges = Executors.newSingleThreadExecutor(
                new ThreadFactoryBuilder().setNameFormat("repository-control").setDaemon(true).build());
        ModelCalls calls = new ModelCalls(this::registry,
                new RequestLimits(config.maxInstances, config.maxInstanceChars), faults, metrics, delayer,
                eventLoops != null ? eventLoops::current : MoreExecutors::directExecutor);
        this.service = new InferenceService(calls, () -> serving);
        ModelHeadersInterceptor modelHeaders = new ModelHeadersInterceptor(track);
        this.grpcServer = transport
                // Handlers only validate and enqueue, so they run on the transport's thread: no hand-off.
                .directExecutor()
                .addStreamTracerFactory(openCalls)
                .maxInboundMessageSize(config.maxMessageBytes)
                .addService(DocumentedSchema.withComments(ServerInterceptors.intercept(service, modelHeaders)))
                .addService(ServerInterceptors.intercept(new OpenInferenceService(calls, () -> serving,
                        ManifestVersion.of(InferenceServer.class)), modelHeaders))
                .addService(new RepositoryService(repository::get, repositoryChanges))
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .addService(legacyReflection())
                .build();
    }

    /** Binds the gRPC port, then the management port; on failure nothing stays bound. */
    private void bind() throws IOException {
        try {
            grpcServer.start();
            management = ManagementServer.start(config.host, config.managementPort, metrics, () -> serving,
                    Map.of(RepositoryHttp.PREFIX, new RepositoryHttp(repository::get, repositoryChanges)));
        } catch (IOException | RuntimeException e) {
            grpcServer.shutdownNow();
            delayer.shutdownNow();
            repositoryChanges.shutdownNow();
            track.close();
            closeEventLoops();
            throw e;
        }
        log.info("gRPC on {}:{}, metrics on http://{}:{}/metrics, track {}, revision {}", config.host,
                grpcServer.getPort(), config.host, management.port(), track.current(), track.revision());
    }

    /** Binds the ports, loads every model and returns once the server is SERVING: gRPC over Netty. */
    public static InferenceServer start(ServerConfig config) throws IOException {
        EventLoops eventLoops = EventLoops.create();
        return start(config, eventLoops.serverBuilder(new InetSocketAddress(config.host, config.port)), eventLoops);
    }

    /**
     * As {@link #start(ServerConfig)}, over any gRPC transport: tests pass an
     * {@code InProcessServerBuilder} where the network is not what they test.
     */
    public static InferenceServer start(ServerConfig config, ServerBuilder<?> transport) throws IOException {
        return start(config, transport, null);
    }

    private static InferenceServer start(ServerConfig config, ServerBuilder<?> transport, EventLoops eventLoops)
            throws IOException {
        try {
            config.validate();
        } catch (RuntimeException e) {
            if (eventLoops != null) {
                eventLoops.close();
            }
            throw e;
        }
        long start = System.nanoTime();
        InferenceServer server = new InferenceServer(config, transport, eventLoops);
        server.bind();
        try {
            server.repository.set(RepositoryControl.load(config.modelRepository(), config.controlMode(),
                    config.loadModels, config.defaultVersions,
                    new ModelLoader(config.batching(), config.intraOpThreads, server.metrics), server.metrics,
                    () -> server.serving));
        } catch (IOException | RuntimeException e) {
            server.stop(Duration.ZERO);
            throw e;
        }
        if (eventLoops != null && config.warmUpMillis > 0) {
            server.warmUp(Duration.ofMillis(config.warmUpMillis));
        }
        server.metrics.startRecording();
        server.repository.get().startPolling(Duration.ofSeconds(config.repositoryPollSeconds));
        server.serving = true;
        server.setHealth(ServingStatus.SERVING);
        log.info("SERVING {} ms after start", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return server;
    }

    /**
     * Runs {@link WarmUp} over a loopback connection to the gRPC port. A warm-up that fails says
     * so in the log and the server serves anyway: each model already ran its own warm-up passes,
     * and the first real calls will show the same failure with its status.
     */
    private void warmUp(Duration budget) {
        InetAddress target = InetAddress.getLoopbackAddress();
        try {
            InetAddress bound = InetAddress.getByName(config.host);
            if (!bound.isAnyLocalAddress()) {
                target = bound;
            }
        } catch (UnknownHostException e) {
            // The gRPC port is bound, so the name resolved a moment ago; loopback is the fallback.
        }
        ManagedChannel channel = NettyChannelBuilder.forAddress(new InetSocketAddress(target, port()))
                .usePlaintext()
                .directExecutor()
                .build();
        try {
            WarmUp.Outcome outcome = new WarmUp(channel, registry().versions()).run(budget);
            warmUp = outcome;
            if (outcome.failure() != null) {
                log.warn("a warm-up call failed and its version left the warm-up: {} {}", outcome.failure().getCode(),
                        outcome.failure().getDescription());
            }
            log.info("warmed up with {} calls over loopback in {} ms ({})", outcome.calls(),
                    outcome.took().toMillis(), outcome.jitQuiet() ? "the JIT compiler went quiet" : "time limit");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            channel.shutdownNow();
        }
    }

    /** The models that serve, or null while they load. */
    private ModelRegistry registry() {
        RepositoryControl control = repository.get();
        return control == null ? null : control.registry();
    }

    /** What the warm-up before SERVING did; null when there was none. */
    WarmUp.Outcome warmUpOutcome() {
        return warmUp;
    }

    public int port() {
        return grpcServer.getPort();
    }

    public int managementPort() {
        return management.port();
    }

    /** Calls the transport has accepted and not yet answered, health watches aside: what a drain waits for. */
    public int openCalls() {
        return openCalls.count();
    }

    /** Drains with the configured grace period. */
    public void stop() {
        stop(Duration.ofSeconds(config.drainGraceSeconds));
    }

    /**
     * Turns NOT_SERVING, refuses new calls and waits up to {@code grace} for the calls in flight
     * ({@link OpenCalls}); then ends what is left, including health watches, which never end by themselves.
     */
    public void stop(Duration grace) {
        serving = false;
        health.enterTerminalState();
        grpcServer.shutdown();
        long deadline = System.nanoTime() + grace.toNanos();
        try {
            if (!openCalls.awaitQuiet(DRAIN_QUIET_PERIOD, deadline)) {
                log.warn("{} calls did not finish within {} s; cancelling them", openCalls.count(), grace.toSeconds());
            }
            grpcServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            grpcServer.shutdownNow();
        }
        repositoryChanges.shutdownNow();
        RepositoryControl loaded = repository.getAndSet(null);
        if (loaded != null) {
            loaded.close();
            loaded.registry().close();
        }
        delayer.shutdownNow();
        management.close();
        track.close();
        closeEventLoops();
        log.info("stopped");
    }

    private void closeEventLoops() {
        if (eventLoops != null) {
            eventLoops.close();
        }
    }

    private void setHealth(ServingStatus status) {
        HealthServices.NAMES.forEach(service -> health.setStatus(service, status));
    }


    /** grpcurl and many other tools still ask the v1alpha reflection service first. */
    @SuppressWarnings("deprecation")
    private static io.grpc.BindableService legacyReflection() {
        return io.grpc.protobuf.services.ProtoReflectionService.newInstance();
    }
}
