package dev.inference.loadtest.schedule;

import java.util.ArrayList;
import java.util.List;

/**
 * A fixed number of callers, each sending its next call when the previous one answered. Measures
 * what the target sustains at a concurrency; latency is measured from each send.
 */
public final class ClosedLoop implements LoadPattern {

    private final int concurrency;
    private final NanoClock clock;

    public ClosedLoop(int concurrency, NanoClock clock) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1, was " + concurrency);
        }
        this.concurrency = concurrency;
        this.clock = clock;
    }

    @Override
    public void run(long endNanos, Sender sender) throws InterruptedException {
        List<Thread> callers = new ArrayList<>(concurrency);
        for (int i = 0; i < concurrency; i++) {
            Thread caller = new Thread(() -> {
                long now;
                while ((now = clock.nanoTime()) < endNanos) {
                    sender.send(now).join();
                }
            }, "caller-" + i);
            caller.setDaemon(true);
            callers.add(caller);
            caller.start();
        }
        for (Thread caller : callers) {
            caller.join();
        }
    }

    @Override
    public String describe() {
        return "concurrency " + concurrency;
    }
}
