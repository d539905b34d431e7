package dev.inference.loadtest.bench;

import dev.inference.loadtest.Corpus;
import dev.inference.loadtest.stats.LatencyStats;
import dev.inference.loadtest.stats.RunResult;
import dev.inference.server.model.TextClassifier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The limit of this machine: the DJL predictor called directly in this process, no network, no
 * queue, one predictor per thread as the server's workers have.
 */
final class RawModel implements AutoCloseable {

    private final TextClassifier classifier;
    private double lastCpuSeconds;

    RawModel(Path versionDir, String version) throws Exception {
        this.classifier = TextClassifier.load("sentiment", version, versionDir, 1);
    }

    /**
     * {@code threads} threads each classifying batches of {@code batchSize} texts for the duration;
     * latency is that of one batch, throughput counts texts.
     */
    RunResult measure(String name, int threads, int batchSize, Corpus corpus, Duration warmup, Duration duration)
            throws Exception {
        runFor(threads, batchSize, corpus, warmup, new LatencyStats(), new AtomicLong());
        LatencyStats stats = new LatencyStats();
        AtomicLong texts = new AtomicLong();
        long start = System.nanoTime();
        double cpuBefore = processCpuSeconds();
        runFor(threads, batchSize, corpus, duration, stats, texts);
        double seconds = (System.nanoTime() - start) / 1e9;
        lastCpuSeconds = processCpuSeconds() - cpuBefore;
        return new RunResult(name, threads + " thread(s), batches of " + batchSize, seconds, texts.get(), 1,
                Map.of("OK", texts.get()), RunResult.percentiles(stats.total()), List.of());
    }

    private void runFor(int threads, int batchSize, Corpus corpus, Duration duration, LatencyStats stats, AtomicLong texts)
            throws InterruptedException {
        long end = System.nanoTime() + duration.toNanos();
        AtomicInteger cursor = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread worker = new Thread(() -> {
                try (TextClassifier.Worker predictor = classifier.newWorker()) {
                    while (System.nanoTime() < end) {
                        List<String> batch = corpus.next(cursor, batchSize);
                        long started = System.nanoTime();
                        predictor.run(batch);
                        stats.record("OK", System.nanoTime() - started);
                        texts.addAndGet(batch.size());
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
    }

    /** CPU seconds this process spent in the last measurement (the model, nothing else runs). */
    double lastCpuSeconds() {
        return lastCpuSeconds;
    }

    private static double processCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    }

    @Override
    public void close() {
        classifier.close();
    }
}
