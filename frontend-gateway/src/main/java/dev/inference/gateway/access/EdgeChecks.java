package dev.inference.gateway.access;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.ServiceRequestContext;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

/**
 * How a check at the edge (the credential, the rate limit) hands a call on once it has decided:
 * at once, on the thread that serves the call, when it decided without waiting (a JWT verified
 * lately, an API key, a token counted in this gateway: nearly every call); on the call's event
 * loop when it waited (a JWT whose key had to be fetched, a bucket in Redis).
 *
 * <p>Armeria's {@code AuthService} and {@code ThrottlingService} always take the second way: each
 * completes its decision through {@code handleAsync} on the event loop and answers with a deferred
 * response, so every call pays a task and a relayed response stream, twice with both checks on,
 * even when the decision was already made.
 */
public final class EdgeChecks {

    /** What a check does with its decision: serve the call, or refuse it. */
    @FunctionalInterface
    public interface Next<T> {
        /** {@code error} is the decision's failure, null when it has a value. */
        HttpResponse serve(T decision, Throwable error) throws Exception;
    }

    private EdgeChecks() {}

    public static <T> HttpResponse whenDecided(ServiceRequestContext ctx, CompletableFuture<T> decision, Next<T> next) {
        BiFunction<T, Throwable, HttpResponse> serve = (value, error) -> {
            try {
                return next.serve(value, error);
            } catch (Exception e) {
                return HttpResponse.ofFailure(e);
            }
        };
        // handle() on a completed future runs at once, on this thread.
        return decision.isDone() ? decision.handle(serve).join() : HttpResponse.of(decision.handleAsync(serve, ctx.eventLoop()));
    }
}
