package dev.inference.gateway.routing;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.client.endpoint.healthcheck.AbstractHealthCheckedEndpointGroupBuilder;
import com.linecorp.armeria.client.endpoint.healthcheck.HealthCheckerContext;
import com.linecorp.armeria.client.grpc.GrpcClients;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.util.AsyncCloseable;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Armeria's {@code HealthCheckedEndpointGroup}, checked with the standard gRPC health service
 * ({@code grpc.health.v1.Health/Check}) instead of an HTTP path: an endpoint is healthy while it
 * answers SERVING. Armeria 1.36 ships only the HTTP checker; its builder takes any checker through
 * {@link #newCheckerFactory()}, and the group, its retry interval and backoff, the selection
 * timeout and the listeners stay the library's own.
 */
public final class GrpcHealthCheckedEndpointGroupBuilder
        extends AbstractHealthCheckedEndpointGroupBuilder<GrpcHealthCheckedEndpointGroupBuilder> {

    private static final long CHECK_TIMEOUT_MILLIS = 1000;

    private boolean answerIsEnough;

    public GrpcHealthCheckedEndpointGroupBuilder(EndpointGroup delegate) {
        super(delegate);
        protocol(SessionProtocol.H2C);
    }

    /** Any answer, NOT_SERVING included, counts as healthy: a check of reachability alone. */
    public GrpcHealthCheckedEndpointGroupBuilder answerIsEnough() {
        answerIsEnough = true;
        return this;
    }

    @Override
    protected Function<? super HealthCheckerContext, ? extends AsyncCloseable> newCheckerFactory() {
        boolean anyAnswer = answerIsEnough;
        return ctx -> new Checker(ctx, anyAnswer);
    }

    /** Asks one endpoint, then again after the group's retry interval, until closed. */
    private static final class Checker implements AsyncCloseable {
        private final HealthCheckerContext ctx;
        private final HealthGrpc.HealthFutureStub health;
        private final boolean anyAnswer;
        private volatile boolean closed;
        private volatile ScheduledFuture<?> next;
        /** Whether the last check ran out of its deadline; checks run one after another. */
        private volatile boolean lastTimedOut;

        Checker(HealthCheckerContext ctx, boolean anyAnswer) {
            this.ctx = ctx;
            this.anyAnswer = anyAnswer;
            this.health = GrpcClients.builder(ctx.protocol(), ctx.endpoint()).build(HealthGrpc.HealthFutureStub.class);
            check();
        }

        private void check() {
            if (closed) {
                return;
            }
            Futures.addCallback(health.withDeadlineAfter(CHECK_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()), new FutureCallback<HealthCheckResponse>() {
                        @Override
                        public void onSuccess(HealthCheckResponse response) {
                            lastTimedOut = false;
                            done(anyAnswer || response.getStatus() == ServingStatus.SERVING ? 1 : 0, null);
                        }

                        @Override
                        public void onFailure(Throwable error) {
                            boolean timedOut = Status.fromThrowable(error).getCode() == Status.Code.DEADLINE_EXCEEDED;
                            boolean firstTimeout = timedOut && !lastTimedOut;
                            lastTimedOut = timedOut;
                            if (firstTimeout) {
                                // A server too busy to answer one check in time is still serving (a
                                // neighbour's start-up on the same cores is enough): one late answer
                                // leaves its health as it was, two in a row take it out. A refused or
                                // reset connection, or a NOT_SERVING answer, counts at once.
                                scheduleNext();
                                return;
                            }
                            done(0, error);
                        }
                    }, MoreExecutors.directExecutor());
        }

        private void done(double health, Throwable cause) {
            if (closed) {
                return;
            }
            // The one-argument updateHealth is unsupported by Armeria's own context.
            ctx.updateHealth(health, null, null, cause);
            scheduleNext();
        }

        private void scheduleNext() {
            if (!closed) {
                next = ctx.executor().schedule(this::check, ctx.nextDelayMillis(), TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public CompletableFuture<?> closeAsync() {
            closed = true;
            ScheduledFuture<?> scheduled = next;
            if (scheduled != null) {
                scheduled.cancel(false);
            }
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void close() {
            closeAsync();
        }
    }
}
