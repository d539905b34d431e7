package dev.inference.gateway.routing;

import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.endpoint.DynamicEndpointGroup;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.client.grpc.GrpcClients;
import com.linecorp.armeria.common.SessionProtocol;
import dev.inference.api.repository.v1.ModelRepositoryServiceGrpc.ModelRepositoryServiceFutureStub;
import dev.inference.api.v1.InferenceServiceGrpc.InferenceServiceFutureStub;
import inference.GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One inference service the gateway forwards to: a local server of a known track, or the mesh
 * service whose track only the responses tell. gRPC over HTTP/2 without TLS (the mesh adds mTLS).
 *
 * @param name the track in local mode ({@code stable}, {@code canary}); {@code mesh} in mesh mode
 * @param inference its {@code inference.v1.InferenceService}
 * @param openInference its Open Inference Protocol v2 service, {@code inference.GRPCInferenceService}
 * @param repository its model repository extension, for the admin route
 * @param address the server's address, given to the health checks by {@link #start()}
 * @param healthChecks the group whose checks decide {@link #isHealthy()}: empty while its server is
 *     not SERVING (local mode) or not reachable (mesh mode), and before {@link #start()}
 */
public record Upstream(String name, InferenceServiceFutureStub inference,
        GRPCInferenceServiceFutureStub openInference, ModelRepositoryServiceFutureStub repository,
        Address address, EndpointGroup healthChecks) implements AutoCloseable {

    public static final String MESH = "mesh";

    private static final Logger log = LoggerFactory.getLogger(Upstream.class);

    /** How often a local server's health is asked. */
    static final Duration HEALTH_CHECK_INTERVAL = Duration.ofMillis(500);

    /**
     * A local server of one track, health-checked: while it is not SERVING (loading, draining,
     * gone) its group is empty, so the router sends it nothing and a call to it fails at once.
     */
    public static Upstream healthChecked(String name, String address) {
        Address server = new Address(Endpoint.parse(address));
        EndpointGroup group = new GrpcHealthCheckedEndpointGroupBuilder(server)
                .retryInterval(HEALTH_CHECK_INTERVAL)
                // Fail at once when the server is down (0 would mean "wait for ever").
                .selectionTimeout(Duration.ofMillis(1))
                .build();
        logTransitions(group, name + " (" + address + ")", "SERVING", "not SERVING: calls to it fail at once");
        return new Upstream(name, stub(group, InferenceServiceFutureStub.class),
                stub(group, GRPCInferenceServiceFutureStub.class), stub(group, ModelRepositoryServiceFutureStub.class),
                server, group);
    }

    /**
     * The mesh's Service. Its calls do not depend on the gateway's health checks: one answer comes
     * from one pod behind the Service, and a draining pod's NOT_SERVING must not stop all traffic;
     * Envoy's outlier detection and retries judge pods one by one. The checks only tell whether the
     * Service answers at all, for {@code /internal/health}.
     */
    public static Upstream mesh(String address) {
        Endpoint endpoint = Endpoint.parse(address);
        Address service = new Address(endpoint);
        EndpointGroup reachable = new GrpcHealthCheckedEndpointGroupBuilder(service)
                .answerIsEnough()
                .retryInterval(HEALTH_CHECK_INTERVAL)
                .build();
        logTransitions(reachable, "the mesh service (" + address + ")", "reachable", "unreachable");
        return new Upstream(MESH, stub(endpoint, InferenceServiceFutureStub.class),
                stub(endpoint, GRPCInferenceServiceFutureStub.class), stub(endpoint, ModelRepositoryServiceFutureStub.class),
                service, reachable);
    }

    public boolean isHealthy() {
        return !healthChecks.endpoints().isEmpty();
    }

    /** Starts the health checks; building an upstream checks nothing. */
    public void start() {
        address.resolve();
    }

    /** Waits, at most {@code timeout}, for the first health check to report. */
    public void awaitFirstCheck(Duration timeout) {
        try {
            healthChecks.whenReady().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception notYet) {
            // Not SERVING yet or not reachable: the router keeps asking, and routes around it meanwhile.
        }
    }

    @Override
    public void close() {
        healthChecks.close();
        address.close();
    }

    /**
     * The one address of an upstream, empty until {@link #resolve()}: Armeria's health-checked group
     * checks the endpoints its delegate gives it, so it checks nothing until the gateway starts.
     */
    public static final class Address extends DynamicEndpointGroup {

        private final Endpoint endpoint;

        Address(Endpoint endpoint) {
            this.endpoint = endpoint;
        }

        void resolve() {
            setEndpoints(List.of(endpoint));
        }
    }

    /**
     * One line per change of an upstream's health, instead of Armeria's warning with a stack trace
     * when the first check fails (silenced in simplelogger.properties): a server still loading its
     * models when the gateway starts is routine, not an error.
     */
    private static void logTransitions(EndpointGroup group, String upstream, String up, String down) {
        AtomicReference<Boolean> healthy = new AtomicReference<>();
        group.addListener(endpoints -> {
            boolean now = !endpoints.isEmpty();
            Boolean before = healthy.getAndSet(now);
            if (before == null || before != now) {
                log.info("upstream {}: {}", upstream, now ? up : down);
            }
        }, true);
    }

    private static <S> S stub(EndpointGroup endpoints, Class<S> type) {
        return GrpcClients.builder(SessionProtocol.H2C, endpoints).build(type);
    }
}
