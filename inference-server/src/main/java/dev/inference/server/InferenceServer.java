package dev.inference.server;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import dev.inference.api.HealthServices;
import dev.inference.platform.ManifestVersion;
import dev.inference.server.api.DocumentedSchema;
import dev.inference.server.api.FaultInjection;
import dev.inference.server.api.InferenceService;
import dev.inference.server.api.ManagementServer;
import dev.inference.server.api.ModelCalls;
import dev.inference.server.api.ModelHeadersInterceptor;
import dev.inference.server.api.OpenInferenceService;
import dev.inference.server.api.RepositoryHttp;
import dev.inference.server.api.RepositoryService;
import dev.inference.server.api.RequestLimits;
import dev.inference.server.metrics.InferenceMetrics;
import dev.inference.server.registry.ModelLoader;
import dev.inference.server.registry.ModelRegistry;
import dev.inference.server.registry.RepositoryControl;
import dev.inference.server.track.TrackSource;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inference server. Building it wires every service and starts nothing; {@link #start()}
 * binds both ports at once (health NOT_SERVING, so probes and load balancers wait), loads and
 * warms every model, and turns SERVING; {@link #stop} turns NOT_SERVING, refuses new calls, lets
 * in-flight calls finish within the grace period, then releases the models.
 */
public final class InferenceServer {

    private static final Logger log = LoggerFactory.getLogger(InferenceServer.class);
    private static final Duration TRACK_POLL = Duration.ofSeconds(2);

    /** How long a draining server must see no call open before it closes (see {@link OpenCalls}). */
    private static final Duration DRAIN_QUIET_PERIOD = Duration.ofMillis(200);

    private final ServerConfig config;
    private final ServerTransport transport;
    private final InferenceMetrics metrics = new InferenceMetrics();
    private final HealthStatusManager health = new HealthStatusManager();
    private final AtomicReference<RepositoryControl> repository = new AtomicReference<>();
    /** Runs the repository's loads and unloads one at a time, off the transport's threads (a thread from the first). */
    private final ExecutorService repositoryChanges = Executors.newSingleThreadExecutor(
            new ThreadFactoryBuilder().setNameFormat("repository-control").setDaemon(true).build());
    /** Holds calls for the injected latency (a thread from the first). */
    private final ScheduledExecutorService delayer = Executors.newSingleThreadScheduledExecutor(
            new ThreadFactoryBuilder().setNameFormat("injected-latency").setDaemon(true).build());
    private final TrackSource track;
    private final FaultInjection faults;
    private final List<ServerServiceDefinition> services;
    private final OpenCalls openCalls = new OpenCalls();
    private final ManagementServer management;
    private Server grpcServer;
    private WarmUp.Outcome warmUp;
    private volatile boolean serving;

    /** A server on Netty, at the configured host and ports. */
    public InferenceServer(ServerConfig config) {
        this(config, new NettyTransport(config.host(), config.port()));
    }

    /** A server on {@code transport}: tests pass grpc-java's in-process one where the network is not what they test. */
    public InferenceServer(ServerConfig config, ServerTransport transport) {
        this.config = config;
        this.transport = transport;
        setHealth(ServingStatus.NOT_SERVING);
        this.track = config.podLabelsFile()
                .map(labels -> TrackSource.fromPodLabels(labels, config.track(), config.revision(), TRACK_POLL))
                .orElseGet(() -> TrackSource.fixed(config.track(), config.revision()));
        this.faults = new FaultInjection(config.injectLatency().toMillis(), config.injectErrorRate());
        ModelCalls calls = new ModelCalls(this::registry, new RequestLimits(config.maxInstances(), config.maxInstanceChars()),
                faults, metrics, delayer, transport::replies);
        this.management = new ManagementServer(config.host(), config.managementPort(), metrics, () -> serving,
                new RepositoryHttp(repository::get, repositoryChanges));
        ModelHeadersInterceptor modelHeaders = new ModelHeadersInterceptor(track);
        this.services = List.of(
                DocumentedSchema.withComments(ServerInterceptors.intercept(new InferenceService(calls, () -> serving),
                        modelHeaders)),
                ServerInterceptors.intercept(new OpenInferenceService(calls, () -> serving,
                        ManifestVersion.of(InferenceServer.class)), modelHeaders),
                new RepositoryService(repository::get, repositoryChanges).bindService(),
                health.getHealthService().bindService(),
                ProtoReflectionServiceV1.newInstance().bindService(),
                legacyReflection().bindService());
    }

    /**
     * Binds the ports, loads every model, warms up, and returns once the server is SERVING.
     *
     * @throws IOException when a port cannot be bound or the repository cannot be loaded; nothing
     *     stays bound or running then
     */
    public InferenceServer start() throws IOException {
        long start = System.nanoTime();
        if (faults.enabled()) {
            log.warn("FAULT INJECTION IS ON: +{} ms latency on every Predict, {}% of Predicts fail with INTERNAL."
                    + " Never run this in production.", faults.latencyMillis(), faults.errorRate() * 100);
        }
        bind();
        try {
            repository.set(RepositoryControl.load(config.modelRepository(), config.modelControlMode(),
                    config.loadModels(), config.defaultVersions(),
                    new ModelLoader(config.batching(), config.intraOpThreads(), metrics), metrics, () -> serving));
        } catch (IOException | RuntimeException e) {
            stop(Duration.ZERO);
            throw e;
        }
        if (!config.warmUp().isZero()) {
            warmUp(config.warmUp());
        }
        metrics.startRecording();
        repository.get().startPolling(config.repositoryPoll());
        serving = true;
        setHealth(ServingStatus.SERVING);
        log.info("SERVING {} ms after start", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return this;
    }

    /** Binds the gRPC port, then the management port, and follows the pod's labels; on failure nothing stays bound. */
    private void bind() throws IOException {
        ServerBuilder<?> builder = transport.serverBuilder()
                // Handlers only validate and enqueue, so they run on the transport's thread: no hand-off.
                .directExecutor()
                .addStreamTracerFactory(openCalls)
                .maxInboundMessageSize(config.maxMessageBytes());
        services.forEach(builder::addService);
        grpcServer = builder.build();
        try {
            grpcServer.start();
            management.start();
        } catch (IOException | RuntimeException e) {
            grpcServer.shutdownNow();
            management.close();
            delayer.shutdownNow();
            repositoryChanges.shutdownNow();
            transport.close();
            throw e;
        }
        track.start();
        log.info("gRPC on {}:{}, metrics on http://{}:{}/metrics, track {}, revision {}", config.host(),
                grpcServer.getPort(), config.host(), management.port(), track.current(), track.revision());
    }

    /**
     * Runs {@link WarmUp} over a channel to the server's own port. A warm-up that fails says
     * so in the log and the server serves anyway: each model already ran its own warm-up passes,
     * and the first real calls will show the same failure with its status.
     */
    private void warmUp(Duration budget) {
        ManagedChannel channel = transport.channelToSelf(port());
        try {
            WarmUp.Outcome outcome = new WarmUp(channel, registry().versions()).run(budget);
            warmUp = outcome;
            if (outcome.failure() != null) {
                log.warn("a warm-up call failed and its version left the warm-up: {} {}", outcome.failure().getCode(),
                        outcome.failure().getDescription());
            }
            log.info("warmed up with {} calls in {} ms ({})", outcome.calls(),
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
        stop(config.drainGrace());
    }

    /**
     * Turns NOT_SERVING, refuses new calls and waits up to {@code grace} for the calls in flight
     * ({@link OpenCalls}); then ends what is left, including health watches, which never end by themselves.
     */
    public void stop(Duration grace) {
        serving = false;
        health.enterTerminalState();
        if (grpcServer == null) {
            return;
        }
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
        transport.close();
        log.info("stopped");
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
