package dev.inference.gateway.forwarding;

import com.linecorp.armeria.server.ServiceRequestContext;
import dev.inference.gateway.metrics.GatewayMetrics;
import dev.inference.gateway.routing.TrackRouter;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Forwards the calls of every API the gateway passes through ({@code inference.v1} and the Open
 * Inference Protocol v2) the same way: routed by the {@link TrackRouter}, with the caller's deadline,
 * cancellation, request id, trace headers and pin ({@link ForwardedCall}).
 */
public final class Forwarder {

    private final TrackRouter router;
    private final GatewayMetrics metrics;
    private final Duration pinTtl;
    private final Duration deadlineMargin;
    private final Duration defaultTimeout;

    /**
     * @param pinTtl lifetime of the pin cookie
     * @param deadlineMargin taken off the remaining deadline, for the way back
     * @param defaultTimeout the deadline of calls that bring none
     */
    public Forwarder(TrackRouter router, GatewayMetrics metrics, Duration pinTtl, Duration deadlineMargin,
            Duration defaultTimeout) {
        this.router = router;
        this.metrics = metrics;
        this.pinTtl = pinTtl;
        this.deadlineMargin = deadlineMargin;
        this.defaultTimeout = defaultTimeout;
    }

    /**
     * Forwards the current gRPC call.
     *
     * @param method the method's name in the metrics
     * @param afterAnswer what happens with a successful answer once the client has it
     */
    <R> void forward(String method, StreamObserver<R> observer, UpstreamCall<R> call, Consumer<Answer<R>> afterAnswer) {
        forward(ServiceRequestContext.current(), method, (ServerCallStreamObserver<R>) observer, call, afterAnswer);
    }

    /** Forwards a call that arrived as {@code ctx}, over gRPC or as REST mapped by hand. */
    public <R> void forward(ServiceRequestContext ctx, String method, ServerCallStreamObserver<R> observer, UpstreamCall<R> call,
            Consumer<Answer<R>> afterAnswer) {
        new ForwardedCall<>(ctx, method, observer, call, afterAnswer, router, metrics, pinTtl, deadlineMargin,
                defaultTimeout).start();
    }
}
