package dev.inference.server.api;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Deliberate faults for demos and canary tests: a latency added to every Predict and a fraction
 * of Predicts that fail with INTERNAL. Off unless a flag turns it on.
 */
public record FaultInjection(long latencyMillis, double errorRate) {

    public boolean enabled() {
        return latencyMillis > 0 || errorRate > 0;
    }

    boolean nextCallFails() {
        return errorRate > 0 && ThreadLocalRandom.current().nextDouble() < errorRate;
    }
}
