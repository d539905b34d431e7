package dev.inference.loadtest.schedule;

import java.util.concurrent.locks.LockSupport;

/** Time for the schedulers; tests replace it to control time. */
public interface NanoClock {

    NanoClock SYSTEM = new NanoClock() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleepUntil(long nanos) {
            long wait;
            while ((wait = nanos - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
        }
    };

    long nanoTime();

    void sleepUntil(long nanos) throws InterruptedException;
}
