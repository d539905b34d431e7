package dev.inference.platform;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;

/** How a long-running process of the platform ends: SIGTERM or SIGINT drains it, then it exits 0. */
public final class Signals {

    private Signals() {}

    /**
     * Blocks until SIGTERM or SIGINT has arrived and {@code drain} has run. A signal handler and
     * not a shutdown hook: after a hook the JVM exits 143, which Kubernetes reads as a crash, and
     * closing Armeria from a hook can wait for ever on its own event loops.
     */
    public static void awaitDrain(Runnable drain) throws InterruptedException {
        CountDownLatch drained = new CountDownLatch(1);
        AtomicBoolean draining = new AtomicBoolean();
        Runnable once = () -> {
            if (draining.compareAndSet(false, true)) {
                drain.run();
                drained.countDown();
            }
        };
        Signal.handle(new Signal("TERM"), signal -> new Thread(once, "drain").start());
        Signal.handle(new Signal("INT"), signal -> new Thread(once, "drain").start());
        drained.await();
    }
}
