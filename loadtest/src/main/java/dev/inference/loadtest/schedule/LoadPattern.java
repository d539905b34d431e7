package dev.inference.loadtest.schedule;

import java.util.concurrent.CompletableFuture;

/** When calls are sent. */
public interface LoadPattern {

    /** Sends one call; the caller measures its latency from {@code intendedNanos}. */
    @FunctionalInterface
    interface Sender {
        CompletableFuture<?> send(long intendedNanos);
    }

    /** Sends calls until {@code endNanos}, then waits for those still under way. */
    void run(long endNanos, Sender sender) throws InterruptedException;

    /** A short description for reports, e.g. "rate 500/s" or "concurrency 32". */
    String describe();
}
