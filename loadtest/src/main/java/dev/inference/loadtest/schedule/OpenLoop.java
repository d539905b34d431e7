package dev.inference.loadtest.schedule;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Phaser;

/**
 * A constant arrival rate, whatever the target does. Call i is due at start + i / rate; it is
 * sent then, or as soon as the scheduler can when it falls behind, and its latency is measured
 * from the due time. A stall of the target or of this process therefore shows up in the latency
 * of every call that was due during it, instead of being hidden by calls that were never sent
 * (coordinated omission).
 */
public final class OpenLoop implements LoadPattern {

    private final double ratePerSecond;
    private final NanoClock clock;

    public OpenLoop(double ratePerSecond, NanoClock clock) {
        if (ratePerSecond <= 0) {
            throw new IllegalArgumentException("rate must be positive, was " + ratePerSecond);
        }
        this.ratePerSecond = ratePerSecond;
        this.clock = clock;
    }

    /** When call {@code index} is due. */
    long intendedNanos(long startNanos, long index) {
        return startNanos + (long) (index * 1e9 / ratePerSecond);
    }

    @Override
    public void run(long endNanos, Sender sender) throws InterruptedException {
        Phaser inFlight = new Phaser(1);
        long start = clock.nanoTime();
        for (long index = 0; ; index++) {
            long intended = intendedNanos(start, index);
            if (intended >= endNanos) {
                break;
            }
            clock.sleepUntil(intended);
            inFlight.register();
            CompletableFuture<?> call = sender.send(intended);
            call.whenComplete((result, error) -> inFlight.arriveAndDeregister());
        }
        inFlight.arriveAndAwaitAdvance();
    }

    @Override
    public String describe() {
        return "rate " + ratePerSecond + "/s";
    }
}
