package dev.inference.platform;

import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * How a long-running process of the platform ends: SIGTERM or SIGINT asks it to drain, then it
 * exits 0. Handlers and not a shutdown hook: after a hook the JVM exits 143, which Kubernetes
 * reads as a crash, and closing Armeria from a hook can wait for ever on its own event loops.
 *
 * <p>The handlers go in before the process starts its servers, so that a signal during start-up
 * (a pod deleted while it loads) only records the request. Left to the JVM's default handling,
 * such a signal runs the C library's exit, and its static destructors, while ONNX Runtime is
 * still building a session on another thread: the JVM dies with SIGSEGV (exit 134, an hs_err
 * file) instead of stopping.
 */
public final class Signals {

    private final CountDownLatch received = new CountDownLatch(1);

    private Signals() {}

    /** From now on SIGTERM and SIGINT only record that the process should drain and exit. */
    public static Signals handleTermination() {
        Signals signals = new Signals();
        Signal.handle(new Signal("TERM"), signal -> signals.received.countDown());
        Signal.handle(new Signal("INT"), signal -> signals.received.countDown());
        return signals;
    }

    /** Whether a signal has arrived, for example while the process was starting. */
    public boolean received() {
        return received.getCount() == 0;
    }

    /** Blocks until SIGTERM or SIGINT arrives; returns at once if one already has. */
    public void await() throws InterruptedException {
        received.await();
    }
}
