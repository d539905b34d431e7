package dev.inference.loadtest;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import dev.inference.loadtest.client.PredictClient;
import dev.inference.loadtest.schedule.LoadPattern;
import dev.inference.loadtest.schedule.NanoClock;
import dev.inference.loadtest.stats.LatencyStats;
import dev.inference.loadtest.stats.RunResult;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/** One load run: a warm-up that is not recorded, then the measured phase with a progress line a second. */
public final class LoadRun {

    private final PredictClient client;
    private final LoadPattern pattern;
    private final Corpus corpus;
    private final int instancesPerCall;

    public LoadRun(PredictClient client, LoadPattern pattern, Corpus corpus, int instancesPerCall) {
        this.client = client;
        this.pattern = pattern;
        this.corpus = corpus;
        this.instancesPerCall = instancesPerCall;
    }

    public RunResult run(String name, Duration warmup, Duration duration, PrintStream progress) throws InterruptedException {
        AtomicInteger cursor = new AtomicInteger();
        if (!warmup.isZero()) {
            pattern.run(NanoClock.SYSTEM.nanoTime() + warmup.toNanos(),
                    intended -> client.predict(corpus.next(cursor, instancesPerCall)));
        }
        LatencyStats stats = new LatencyStats();
        AtomicLong completedThisSecond = new AtomicLong();
        AtomicLong failedThisSecond = new AtomicLong();
        List<RunResult.Second> timeline = new ArrayList<>();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
                new ThreadFactoryBuilder().setNameFormat("progress").setDaemon(true).build());
        ticker.scheduleAtFixedRate(() -> {
            Histogram second = stats.takeInterval();
            RunResult.Second point = new RunResult.Second(timeline.size() + 1, completedThisSecond.getAndSet(0),
                    second.getValueAtPercentile(50) / 1e6, second.getValueAtPercentile(99) / 1e6, failedThisSecond.getAndSet(0));
            timeline.add(point);
            progress.printf(Locale.ROOT, "%4ds %9.1f calls/s  p50 %8.2f ms  p99 %8.2f ms  errors %d%n",
                    point.second(), point.callsPerSecond(), point.p50Millis(), point.p99Millis(), point.errors());
        }, 1, 1, TimeUnit.SECONDS);

        long start = NanoClock.SYSTEM.nanoTime();
        pattern.run(start + duration.toNanos(), intended -> client.predict(corpus.next(cursor, instancesPerCall))
                .whenComplete((status, error) -> {
                    String outcome = status == null ? "CLIENT_ERROR" : status;
                    stats.record(outcome, NanoClock.SYSTEM.nanoTime() - intended);
                    completedThisSecond.incrementAndGet();
                    if (!outcome.equals(PredictClient.OK)) {
                        failedThisSecond.incrementAndGet();
                    }
                }));
        double seconds = (NanoClock.SYSTEM.nanoTime() - start) / 1e9;
        ticker.shutdownNow();
        ticker.awaitTermination(5, TimeUnit.SECONDS);
        Histogram total = stats.total();
        long calls = stats.outcomes().values().stream().mapToLong(Long::longValue).sum();
        return new RunResult(name, pattern.describe(), seconds, calls, instancesPerCall, stats.outcomes(),
                RunResult.percentiles(total), List.copyOf(timeline));
    }
}
