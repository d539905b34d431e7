package dev.inference.loadtest.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OpenLoopTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Time that moves only when the scheduler sleeps or a test stalls it. */
    private static final class FakeClock implements NanoClock {
        long now = 1_000 * MS;

        @Override
        public long nanoTime() {
            return now;
        }

        @Override
        public void sleepUntil(long nanos) {
            now = Math.max(now, nanos);
        }
    }

    @Test
    void callsAreDueAtAConstantRate() throws Exception {
        FakeClock clock = new FakeClock();
        OpenLoop loop = new OpenLoop(100, clock);
        List<Long> sent = new ArrayList<>();

        loop.run(clock.now + 1000 * MS, intended -> {
            sent.add(intended);
            return CompletableFuture.completedFuture(null);
        });

        assertEquals(100, sent.size(), "100 calls in one second at 100/s");
        for (int i = 1; i < sent.size(); i++) {
            assertEquals(10 * MS, sent.get(i) - sent.get(i - 1));
        }
    }

    @Test
    void aStallShowsInTheLatencyOfEveryCallDueDuringIt() throws Exception {
        FakeClock clock = new FakeClock();
        OpenLoop loop = new OpenLoop(100, clock);
        List<Long> latencies = new ArrayList<>();

        loop.run(clock.now + 1000 * MS, intended -> {
            // The 10th call blocks the sender for 500 ms, as a stalled connection would.
            if (latencies.size() == 10) {
                clock.now += 500 * MS;
            }
            latencies.add(clock.now - intended);
            return CompletableFuture.completedFuture(null);
        });

        assertEquals(100, latencies.size(), "no call is skipped because of the stall");
        assertEquals(500 * MS, latencies.get(10), "the stalled call");
        assertEquals(490 * MS, latencies.get(11), "due 10 ms later, sent right after the stall");
        long delayed = latencies.stream().filter(latency -> latency > 0).count();
        assertEquals(50, delayed, "every call due during the stall counts it; a closed loop would record one");
        assertTrue(latencies.subList(60, 100).stream().allMatch(latency -> latency == 0), "caught up afterwards");
    }

    @Test
    void waitsForCallsStillUnderWay() throws Exception {
        FakeClock clock = new FakeClock();
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        Thread run = new Thread(() -> {
            try {
                new OpenLoop(10, clock).run(clock.now + 500 * MS, intended -> {
                    CompletableFuture<Void> call = new CompletableFuture<>();
                    pending.add(call);
                    return call;
                });
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        run.start();
        run.join(200);
        assertTrue(run.isAlive(), "five calls are still open");
        pending.forEach(call -> call.complete(null));
        run.join(2000);
        assertTrue(!run.isAlive());
        assertEquals(5, pending.size());
    }
}
