package dev.inference.gateway.forwarding;

import com.linecorp.armeria.server.ServiceRequestContext;
import dev.inference.gateway.access.ModelAccess;
import dev.inference.gateway.metrics.GatewayMetrics;
import dev.inference.gateway.routing.TrackRouter;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Forwards the calls of every API the gateway passes through ({@code inference.v1} and the Open
 * Inference Protocol v2) the same way: routed by the {@link TrackRouter}, with the caller's deadline,
 * cancellation, request id, trace headers and pin ({@link ForwardedCall}).
 */
public final class Forwarder {

    private final TrackRouter router;
    private final GatewayMetrics metrics;
    private final ModelAccess access;
    private final Duration pinTtl;
    private final Duration deadlineMargin;
    private final Duration defaultTimeout;

    /**
     * @param pinTtl lifetime of the pin cookie
     * @param deadlineMargin taken off the remaining deadline, for the way back
     * @param defaultTimeout the deadline of calls that bring none
     */
    public Forwarder(TrackRouter router, GatewayMetrics metrics, ModelAccess access, Duration pinTtl, Duration deadlineMargin,
            Duration defaultTimeout) {
        this.router = router;
        this.metrics = metrics;
        this.access = access;
        this.pinTtl = pinTtl;
        this.deadlineMargin = deadlineMargin;
        this.defaultTimeout = defaultTimeout;
    }

    /**
     * Forwards the current gRPC call.
     *
     * @param method the method's name in the metrics
     * @param model the model the call is for, which its caller must be allowed; null for none
     * @param afterAnswer what happens with a successful answer once the client has it
     */
    <R> void forward(String method, String model, StreamObserver<R> observer, UpstreamCall<R> call,
            Consumer<Answer<R>> afterAnswer) {
        forward(ServiceRequestContext.current(), method, model, (ServerCallStreamObserver<R>) observer, call, afterAnswer);
    }

    /** Forwards a call that arrived as {@code ctx}, over gRPC or as REST mapped by hand. */
    public <R> void forward(ServiceRequestContext ctx, String method, String model, ServerCallStreamObserver<R> observer,
            UpstreamCall<R> call, Consumer<Answer<R>> afterAnswer) {
        Optional<Status> refused = access.refusal(ctx, model);
        if (refused.isPresent()) {
            observer.onError(refused.get().asRuntimeException());
            return;
        }
        new ForwardedCall<>(ctx, method, observer, call, afterAnswer, router, metrics, pinTtl, deadlineMargin,
                defaultTimeout).start();
    }

    /**
     * Forwards a call that arrived as REST mapped by hand: its one answer, or the gRPC status it
     * failed with, as a future. A client that goes away cancels the upstream call.
     */
    public <R> CompletableFuture<R> forward(ServiceRequestContext ctx, String method, String model, UpstreamCall<R> call,
            Consumer<Answer<R>> afterAnswer) {
        AnswerFuture<R> observer = new AnswerFuture<>();
        ctx.whenRequestCancelled().thenRun(observer::cancel);
        forward(ctx, method, model, observer, call, afterAnswer);
        return observer.answer;
    }
}
