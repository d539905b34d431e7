package dev.inference.gateway.ratelimit;

import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.throttling.ThrottlingService;
import com.linecorp.armeria.server.throttling.ThrottlingStrategy;
import dev.inference.gateway.access.Caller;
import dev.inference.gateway.access.InferenceRoutes;
import dev.inference.gateway.access.Refusals;
import dev.inference.gateway.metrics.GatewayMetrics;
import io.github.bucket4j.ConsumptionProbe;
import io.grpc.Status;
import io.netty.util.AttributeKey;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * How often a client may call: a token bucket per client (the authenticated client id; the source
 * address for anonymous callers), checked by Armeria's {@link ThrottlingService} before a model
 * call's body is even read. Over the limit: 429 with {@code Retry-After}, or RESOURCE_EXHAUSTED
 * with the same advice in {@code retry-after} and gRPC's own {@code grpc-retry-pushback-ms}
 * trailers.
 *
 * <p>A call counts once, however many texts it carries: the limit is decided before the body is
 * parsed, so that a refused call costs the gateway nothing, and a call's size is already bounded
 * (the server's {@code --max-instances}, the gateway's {@code --max-request-bytes}), so calls a
 * second times that bound is what one client can ask of the platform.
 */
public final class RateLimiter implements AutoCloseable {

    private static final AttributeKey<Long> WAIT_NANOS = AttributeKey.valueOf(RateLimiter.class, "WAIT_NANOS");

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

    public Function<? super HttpService, ThrottlingService> decorator() {
        return ThrottlingService.builder(ThrottlingStrategy.of(this::accept, "per-client"))
                .onRejectedRequest((delegate, ctx, req, cause) -> tooMany(ctx, req))
                .newDecorator();
    }

    private CompletionStage<Boolean> accept(ServiceRequestContext ctx, HttpRequest req) {
        if (!InferenceRoutes.isModelCall(ctx.path())) {
            return CompletableFuture.completedFuture(true);
        }
        Optional<String> caller = Caller.of(ctx).map(Caller::id);
        String client = caller.orElseGet(() -> "address:" + ctx.clientAddress().getHostAddress());
        return buckets.take(client).thenApply((ConsumptionProbe probe) -> {
            if (probe.isConsumed()) {
                return true;
            }
            metrics.rateLimited(caller);
            ctx.setAttr(WAIT_NANOS, probe.getNanosToWaitForRefill());
            return false;
        });
    }

    private static com.linecorp.armeria.common.HttpResponse tooMany(ServiceRequestContext ctx, HttpRequest req) {
        Long waitNanos = ctx.attr(WAIT_NANOS);
        long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos != null ? waitNanos : TimeUnit.SECONDS.toNanos(1)));
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
