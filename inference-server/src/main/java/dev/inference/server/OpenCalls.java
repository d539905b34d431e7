package dev.inference.server;

import io.grpc.Metadata;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Calls the transport has accepted and not yet closed, counted from the moment a call's headers
 * arrive: a drain waits for these, including calls whose handler has not run yet (their message
 * may still be on its way), which a count kept by the handlers would miss and cancel. Health
 * watches are left out: they never end by themselves.
 *
 * <p>A drain also waits for a quiet period with no call open: after the server's GOAWAY, calls the
 * client sent before it saw the GOAWAY still arrive and are accepted (grpc-java names the last
 * stream only after a PING round trip), so "none open right now" alone is not "none to come".
 * Armeria's graceful shutdown has a quiet period for the same reason.
 */
final class OpenCalls extends ServerStreamTracer.Factory {

    private static final String WATCH = HealthGrpc.getWatchMethod().getFullMethodName();

    private final AtomicInteger open = new AtomicInteger();
    private volatile long lastChangeNanos = System.nanoTime();

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        if (fullMethodName.equals(WATCH)) {
            return new ServerStreamTracer() {};
        }
        open.incrementAndGet();
        lastChangeNanos = System.nanoTime();
        return new ServerStreamTracer() {
            @Override
            public void streamClosed(Status status) {
                open.decrementAndGet();
                lastChangeNanos = System.nanoTime();
            }
        };
    }

    int count() {
        return open.get();
    }

    /**
     * Waits until no call has been open for {@code quietPeriod}, counted from this call at the
     * earliest, or until {@code deadlineNanos}.
     *
     * @return whether the server went quiet in time
     */
    boolean awaitQuiet(Duration quietPeriod, long deadlineNanos) throws InterruptedException {
        long since = System.nanoTime();
        while (System.nanoTime() < deadlineNanos) {
            long quietFrom = Math.max(since, lastChangeNanos);
            if (open.get() == 0 && System.nanoTime() - quietFrom >= quietPeriod.toNanos()) {
                return true;
            }
            Thread.sleep(5);
        }
        return open.get() == 0;
    }
}
