package dev.inference.gateway.ratelimit;

import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.DecoratingHttpServiceFunction;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.inference.gateway.access.Caller;
import dev.inference.gateway.access.EdgeChecks;
import dev.inference.gateway.access.InferenceRoutes;
import dev.inference.gateway.access.Refusals;
import dev.inference.gateway.metrics.GatewayMetrics;
import io.grpc.Status;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * How often a client may call: a token bucket per client (the authenticated client id; the source
 * address for anonymous callers), checked by a decorator of every service before a model call's
 * body is even read. Over the limit: 429 with {@code Retry-After}, or RESOURCE_EXHAUSTED
 * with the same advice in {@code retry-after} and gRPC's own {@code grpc-retry-pushback-ms}
 * trailers.
 *
 * <p>A call counts once, however many texts it carries: the limit is decided before the body is
 * parsed, so that a refused call costs the gateway nothing, and a call's size is already bounded
 * (the server's {@code --max-instances}, the gateway's {@code --max-request-bytes}), so calls a
 * second times that bound is what one client can ask of the platform.
 */
public final class RateLimiter implements AutoCloseable {

    private final Buckets buckets;
    private final GatewayMetrics metrics;

    private RateLimiter(Buckets buckets, GatewayMetrics metrics) {
        this.buckets = buckets;
        this.metrics = metrics;
    }

    /**
     * Buckets in this gateway, or in {@code redis} when given, with per-replica buckets of a
     * {@code replicas}th of the limit while Redis cannot be reached.
     */
    public static RateLimiter of(Limit limit, Optional<String> redis, int replicas, GatewayMetrics metrics) {
        Buckets buckets = redis.<Buckets>map(uri -> new RedisBuckets(uri, limit, new LocalBuckets(limit.share(replicas)),
                metrics, System::nanoTime)).orElseGet(() -> new LocalBuckets(limit));
        return new RateLimiter(buckets, metrics);
    }

    /**
     * Takes a token for every model call from its client's bucket, after authentication has named
     * the client. Not Armeria's {@code ThrottlingService}, which hands every call on through the
     * event loop even when the bucket answered at once ({@link EdgeChecks}).
     */
    public DecoratingHttpServiceFunction decorator() {
        return (delegate, ctx, req) -> {
            if (!InferenceRoutes.isModelCall(ctx.path())) {
                return delegate.serve(ctx, req);
            }
            Optional<String> caller = Caller.of(ctx).map(Caller::id);
            String client = caller.orElseGet(() -> "address:" + ctx.clientAddress().getHostAddress());
            // Buckets never fail: a bucket in Redis that cannot answer is decided apart.
            return EdgeChecks.whenDecided(ctx, buckets.take(client), (probe, error) -> {
                if (probe.isConsumed()) {
                    return delegate.serve(ctx, req);
                }
                metrics.rateLimited(caller);
                return tooMany(ctx, probe.getNanosToWaitForRefill());
            });
        };
    }

    private static HttpResponse tooMany(ServiceRequestContext ctx, long waitNanos) {
        long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos));
        long retryAfterSeconds = Math.max(1, (waitMillis + 999) / 1000);
        String client = Caller.of(ctx).map(Caller::id).orElse("this address");
        return Refusals.of(ctx, Status.Code.RESOURCE_EXHAUSTED,
                "rate limit of " + client + " exceeded; retry after " + retryAfterSeconds + " s",
                HttpHeaders.of("retry-after", Long.toString(retryAfterSeconds), "grpc-retry-pushback-ms", Long.toString(waitMillis)));
    }

    @Override
    public void close() {
        buckets.close();
    }
}
