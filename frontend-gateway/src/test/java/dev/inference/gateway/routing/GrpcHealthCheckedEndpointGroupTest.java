package dev.inference.gateway.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's health checks against a real gRPC server whose health answers the test slows down
 * or turns: one late answer (a server busy with a neighbour's start-up) keeps it in rotation, two
 * in a row take it out, and NOT_SERVING (a drain) takes it out at once.
 */
class GrpcHealthCheckedEndpointGroupTest {

    /** How late the next answers come, and how many of them; then on time again. */
    private final AtomicInteger lateAnswers = new AtomicInteger();
    private final AtomicInteger answered = new AtomicInteger();
    private volatile ServingStatus status = ServingStatus.SERVING;
    private final ScheduledExecutorService answers = Executors.newSingleThreadScheduledExecutor();
    private Server server;
    private EndpointGroup group;

    @BeforeEach
    void start() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new HealthGrpc.HealthImplBase() {
                    @Override
                    public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> response) {
                        long delay = lateAnswers.getAndUpdate(late -> Math.max(0, late - 1)) > 0 ? 1500 : 0;
                        answers.schedule(() -> {
                            answered.incrementAndGet();
                            response.onNext(HealthCheckResponse.newBuilder().setStatus(status).build());
                            response.onCompleted();
                        }, delay, TimeUnit.MILLISECONDS);
                    }
                })
                .build().start();
        group = new GrpcHealthCheckedEndpointGroupBuilder(Endpoint.of("127.0.0.1", server.getPort()))
                .retryInterval(Duration.ofMillis(100)).build();
        group.whenReady().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        group.close();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        answers.shutdownNow();
    }

    @Test
    void oneLateAnswerKeepsTheServerInRotation() {
        int before = answered.get();
        lateAnswers.set(1);
        // The late check runs out of its 1-s deadline; the ones after it answer in time.
        // Out of rotation would last one retry interval (100 ms): polled every 5 ms, and "during" must
        // hold from the start (Awaitility starts the window again after a miss, within atMost).
        Awaitility.await("the server stays in rotation through one late answer").during(Duration.ofMillis(2500))
                .atMost(Duration.ofMillis(2600)).pollInterval(Duration.ofMillis(5)).until(() -> !group.endpoints().isEmpty());
        assertEquals(0, lateAnswers.get(), "the late answer was asked for");
        assertTrue(answered.get() >= before + 2, "checks went on after it: " + (answered.get() - before));
    }

    @Test
    void twoLateAnswersInARowTakeItOut() {
        lateAnswers.set(Integer.MAX_VALUE);
        Awaitility.await("two late answers take the server out").atMost(Duration.ofSeconds(5))
                .until(() -> group.endpoints().isEmpty());
        lateAnswers.set(0);
        Awaitility.await("an answer in time brings it back").atMost(Duration.ofSeconds(5))
                .until(() -> !group.endpoints().isEmpty());
    }

    @Test
    void notServingTakesItOutAtOnce() {
        status = ServingStatus.NOT_SERVING;
        int before = answered.get();
        Awaitility.await("NOT_SERVING takes the server out").atMost(Duration.ofSeconds(2))
                .until(() -> group.endpoints().isEmpty());
        assertTrue(answered.get() - before <= 2, "out after the first NOT_SERVING answer (an answer may have been under way)");
    }
}
