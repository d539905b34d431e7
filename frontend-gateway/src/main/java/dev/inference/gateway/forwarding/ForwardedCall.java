package dev.inference.gateway.forwarding;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.linecorp.armeria.client.UnprocessedRequestException;
import com.linecorp.armeria.common.ClosedSessionException;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.stream.ClosedStreamException;
import com.linecorp.armeria.common.logging.RequestLogProperty;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.inference.api.Headers;
import dev.inference.gateway.metrics.GatewayMetrics;
import dev.inference.gateway.routing.TrackPin;
import dev.inference.gateway.routing.TrackRouter;
import dev.inference.gateway.routing.Upstream;
import io.grpc.Status;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One call on its way through the gateway: propagates the remaining deadline, cancellation,
 * {@code x-request-id}, {@code traceparent} and the pin; retries a call that its upstream refused
 * (UNAVAILABLE) once on another route; pins the user to the track that answered.
 */
final class ForwardedCall<R> {


    private final ServiceRequestContext ctx;
    private final RequestHeaders headers;
    private final String method;
    private final StreamObserver<R> observer;
    private final UpstreamCall<R> call;
    private final Consumer<Answer<R>> afterAnswer;
    private final TrackRouter router;
    private final GatewayMetrics metrics;
    private final Duration pinTtl;
    private final Duration deadlineMargin;
    private final Duration defaultTimeout;
    private final TrackPin pin;
    private final OutgoingMetadata outgoing;
    private final long startNanos = System.nanoTime();
    /** The upstream call under way, so that a client's cancellation reaches it, failover or not. */
    private final AtomicReference<ListenableFuture<R>> current = new AtomicReference<>();

    ForwardedCall(ServiceRequestContext ctx, String method, ServerCallStreamObserver<R> observer,
            UpstreamCall<R> call, Consumer<Answer<R>> afterAnswer,
            TrackRouter router, GatewayMetrics metrics, Duration pinTtl, Duration deadlineMargin, Duration defaultTimeout) {
        this.ctx = ctx;
        this.headers = ctx.request().headers();
        this.method = method;
        this.observer = observer;
        this.call = call;
        this.afterAnswer = afterAnswer;
        this.router = router;
        this.metrics = metrics;
        this.pinTtl = pinTtl;
        this.deadlineMargin = deadlineMargin;
        this.defaultTimeout = defaultTimeout;
        this.pin = TrackPin.of(headers);
        this.outgoing = OutgoingMetadata.of(headers);
        ctx.mutateAdditionalResponseHeaders(response -> response.set(Headers.REQUEST_ID, outgoing.requestId()));
        observer.setOnCancelHandler(() -> {
            ListenableFuture<R> upstream = current.get();
            if (upstream != null) {
                upstream.cancel(true);
            }
        });
    }

    void start() {
        attempt(router.route(pin.track()), true);
    }

    private void attempt(TrackRouter.Route route, boolean mayFailOver) {
        long remainingMillis = remainingMillis() - deadlineMargin.toMillis();
        if (remainingMillis <= 0) {
            finish(route.upstream().name(), new ResponseMetadata(), Status.DEADLINE_EXCEEDED.withDescription(
                    "the deadline passed before the call could be forwarded"));
            return;
        }
        ResponseMetadata answered = new ResponseMetadata();
        ListenableFuture<R> future = call.send(route.upstream(), new UpstreamCall.Attempt() {
            @Override
            public <S extends AbstractStub<S>> S configure(S stub) {
                return outgoing.attach(stub, route).withInterceptors(answered.capture())
                        .withDeadlineAfter(remainingMillis, TimeUnit.MILLISECONDS);
            }
        });
        current.set(future);
        Futures.addCallback(future, new FutureCallback<>() {
            @Override
            public void onSuccess(R response) {
                String track = answered.get(Headers.TRACK).orElse(route.upstream().name());
                finish(track, answered, Status.OK);
                observer.onNext(response);
                observer.onCompleted();
                // Only now, so that nothing done with the answer can delay the client.
                afterAnswer.accept(new Answer<>(response, track, answered.get(Headers.REVISION),
                        pin.track().isPresent(), remainingMillis(), outgoing));
            }

            @Override
            public void onFailure(Throwable error) {
                Status status = lostByTheTransport(Status.fromThrowable(error));
                // Predict is idempotent, and UNAVAILABLE means the server refused or lost the call
                // (connection refused or reset, GOAWAY, a draining server): one retry elsewhere,
                // inside what is left of the deadline.
                if (status.getCode() == Status.Code.UNAVAILABLE && mayFailOver) {
                    Optional<TrackRouter.Route> retry = router.failover(route);
                    if (retry.isPresent()) {
                        metrics.retried(route.upstream().name());
                        attempt(retry.get(), false);
                        return;
                    }
                }
                String track = answered.get(Headers.TRACK).orElse(route.upstream().name());
                finish(track, answered, publicStatus(status, route.upstream()));
            }
        }, ctx.eventLoop());
    }

    /** Records the call, tells the client which track, revision and version served it, and pins the user. */
    private void finish(String track, ResponseMetadata answered, Status status) {
        metrics.record(track, method, status.getCode(), System.nanoTime() - startNanos);
        boolean known = !track.equals(Upstream.MESH);
        ctx.mutateAdditionalResponseHeaders(response -> {
            if (known) {
                response.set(TrackPin.HEADER, track);
            }
            answered.get(Headers.REVISION).ifPresent(revision -> response.set(Headers.REVISION, revision));
            answered.get(Headers.VERSION).ifPresent(version -> response.set(Headers.VERSION, version));
            if (known && status.isOk() && !pin.fromHeader() && !TrackPin.cookieMatches(headers, track)) {
                response.add("set-cookie", TrackPin.setCookie(track, pinTtl.toSeconds()));
            }
        });
        if (!status.isOk()) {
            observer.onError(status.asRuntimeException());
        }
    }

    /** What is left of the caller's deadline; a call without one gets the default timeout. */
    private long remainingMillis() {
        long timeout = ctx.requestTimeoutMillis() > 0 ? ctx.requestTimeoutMillis() : defaultTimeout.toMillis();
        long startedNanos = ctx.log().ensureAvailable(RequestLogProperty.REQUEST_START_TIME).requestStartTimeNanos();
        return timeout - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    }

    /**
     * A status the inference server sent passes through as it is; one the client library made up
     * (connection refused, timeout) would name addresses and exceptions, so it gets a plain message.
     */
    private static Status publicStatus(Status status, Upstream upstream) {
        if (status.getCause() == null) {
            return status;
        }
        return switch (status.getCode()) {
            case UNAVAILABLE -> Status.UNAVAILABLE.withDescription(
                    "the inference service (" + upstream.name() + ") is unavailable; retry later");
            case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED.withDescription(
                    "the deadline passed before the inference service answered");
            case CANCELLED -> Status.CANCELLED.withDescription("the call was cancelled");
            default -> Status.INTERNAL.withDescription("the gateway could not complete the call");
        };
    }

    /**
     * A call whose connection or stream died under it (the server was killed) is UNAVAILABLE, as
     * grpc-java reports it; Armeria's client names it by the exception, under another code.
     */
    private static Status lostByTheTransport(Status status) {
        for (Throwable cause = status.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof ClosedSessionException || cause instanceof ClosedStreamException
                    || cause instanceof UnprocessedRequestException || cause instanceof java.net.ConnectException) {
                return status.getCode() == Status.Code.UNAVAILABLE ? status
                        : Status.UNAVAILABLE.withCause(status.getCause()).withDescription(status.getDescription());
            }
            if (cause.getCause() == cause) {
                break;
            }
        }
        return status;
    }
}
