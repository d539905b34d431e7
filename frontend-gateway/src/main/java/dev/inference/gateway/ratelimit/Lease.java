package dev.inference.gateway.ratelimit;

import io.github.bucket4j.ConsumptionProbe;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongFunction;
import java.util.function.LongSupplier;

/**
 * One gateway's share of one client's shared bucket: tokens taken from it in advance, spent here
 * without asking again. A call takes a held token at once; when half the lease is spent the next
 * is asked for in the background, so that a busy client's calls seldom wait on the shared bucket.
 * When the shared bucket had nothing to give, calls are refused here until it has refilled a token:
 * no other gateway can add one sooner, so the refusal is exact and costs no exchange.
 *
 * <p>A gateway holds at most {@code size} tokens of a client, already taken from the shared bucket:
 * over any window, the gateways together admit at most the bucket's own allowance plus what they
 * held at its start, {@code size} each.
 */
final class Lease {

    /** Tokens granted by the shared bucket, and when it had none, how long until it has one. */
    record Grant(long tokens, long nanosToWait) {}

    private final LongFunction<CompletableFuture<Grant>> shared;
    private final long size;
    private final LongSupplier nanoClock;
    private long held;
    /** Until when the shared bucket is known to be empty. */
    private long emptyUntil;
    private CompletableFuture<Grant> asking;

    /** {@code shared} takes up to the given number of tokens from the shared bucket. */
    Lease(LongFunction<CompletableFuture<Grant>> shared, long size, LongSupplier nanoClock) {
        this.shared = shared;
        this.size = size;
        this.nanoClock = nanoClock;
        this.emptyUntil = nanoClock.getAsLong();
    }

    /** Fails only when the shared bucket could not be asked. */
    CompletableFuture<ConsumptionProbe> take() {
        CompletableFuture<Grant> landing;
        synchronized (this) {
            long now = nanoClock.getAsLong();
            boolean empty = now - emptyUntil < 0;
            if (held > 0) {
                held--;
                if (held <= size / 2 && asking == null && !empty) {
                    ask();
                }
                return CompletableFuture.completedFuture(ConsumptionProbe.consumed(held, 0));
            }
            if (empty) {
                long wait = emptyUntil - now;
                return CompletableFuture.completedFuture(ConsumptionProbe.rejected(0, wait, wait));
            }
            landing = asking != null ? asking : ask();
        }
        // Whoever gets the granted tokens first, a call that waited takes again: a token, a known
        // empty bucket, or another ask.
        return landing.thenCompose(grant -> take());
    }

    /**
     * Asks for enough to hold a full lease again. The answer is counted before anyone waiting on
     * it takes again; it may land before this returns.
     */
    private CompletableFuture<Grant> ask() {
        CompletableFuture<Grant> landing = shared.apply(size - held).whenComplete((grant, error) -> landed(grant));
        if (!landing.isDone()) {
            asking = landing;
        }
        return landing;
    }

    private synchronized void landed(Grant grant) {
        asking = null;
        if (grant == null) {
            return;
        }
        held += grant.tokens();
        if (grant.tokens() == 0) {
            emptyUntil = nanoClock.getAsLong() + grant.nanosToWait();
        }
    }
}
