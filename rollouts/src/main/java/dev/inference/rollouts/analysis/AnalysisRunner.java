package dev.inference.rollouts.analysis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Runs AnalysisTemplates as Argo Rollouts runs an AnalysisRun: every metric measures at its
 * interval; a measurement is Successful, Failed, Inconclusive (neither condition) or Error (the
 * query failed); a metric fails when its failures exceed failureLimit, is Inconclusive when its
 * inconclusive measurements exceed inconclusiveLimit, errs when consecutive errors exceed
 * consecutiveErrorLimit, and succeeds after count measurements. The run is as bad as its worst
 * metric, and stops at the first metric that ends badly.
 *
 * <p>{@code timeScale} divides every interval, so that tests run minutes of analysis in seconds.
 */
public final class AnalysisRunner {

    /** One measurement, for logs and reports. */
    public record Measurement(String template, String metric, int index, List<Double> result, Phase phase, String error) {}

    /** How a metric ended. */
    public record MetricResult(String template, String metric, Phase phase, int measurements, int failed,
            int inconclusive, int errors) {}

    /** How the whole analysis ended. */
    public record Result(Phase phase, List<MetricResult> metrics) {}

    private final PrometheusQuery prometheus;
    private final double timeScale;
    private final Consumer<Measurement> log;

    /**
     * @param prometheus where to query; the templates' own address is for the cluster
     * @param log every measurement as it is taken
     */
    public AnalysisRunner(PrometheusQuery prometheus, double timeScale, Consumer<Measurement> log) {
        this.prometheus = prometheus;
        this.timeScale = timeScale;
        this.log = log;
    }

    /**
     * Runs the templates until every metric ended, one ended badly, or {@code stop} says so (a
     * background analysis whose rollout moved on: its open metrics count as Successful).
     */
    public Result run(List<AnalysisTemplate> templates, Map<String, String> args, BooleanSupplier stop)
            throws InterruptedException {
        List<Runnable> metrics = new ArrayList<>();
        List<MetricRun> runs = new ArrayList<>();
        for (AnalysisTemplate template : templates) {
            for (MetricSpec spec : template.metrics()) {
                MetricRun run = new MetricRun(template.name(), template.resolve(spec, args));
                runs.add(run);
                metrics.add(run::measureUntilDone);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(metrics.size());
        try {
            List<Future<?>> running = metrics.stream().<Future<?>>map(pool::submit).toList();
            while (running.stream().anyMatch(future -> !future.isDone())) {
                boolean endedBadly = runs.stream().anyMatch(run -> run.phase != null && run.phase != Phase.SUCCESSFUL);
                if (endedBadly || stop.getAsBoolean()) {
                    break;
                }
                Thread.sleep(20);
            }
        } finally {
            pool.shutdownNow();
            // The counters below are plain fields of the metric threads: read them only once those
            // threads have ended (termination happens-before the return of awaitTermination).
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the metric runs of " + templates + " did not stop within 30 s of being interrupted");
            }
        }
        Phase overall = Phase.SUCCESSFUL;
        List<MetricResult> results = new ArrayList<>();
        for (MetricRun run : runs) {
            Phase phase = run.phase == null ? Phase.SUCCESSFUL : run.phase;
            overall = overall.worse(phase);
            results.add(new MetricResult(run.template, run.spec.name(), phase, run.measurements, run.failed,
                    run.inconclusive, run.errors));
        }
        return new Result(overall, results);
    }

    private final class MetricRun {
        final String template;
        final MetricSpec spec;
        final MetricSpec.Resolved resolved;
        volatile Phase phase;
        int measurements;
        int failed;
        int inconclusive;
        int errors;
        int consecutiveErrors;

        MetricRun(String template, MetricSpec.Resolved resolved) {
            this.template = template;
            this.spec = resolved.spec();
            this.resolved = resolved;
        }

        void measureUntilDone() {
            long intervalNanos = (long) (spec.interval().toNanos() / timeScale);
            long next = System.nanoTime();
            try {
                while (phase == null) {
                    measureOnce();
                    if (spec.count() > 0 && measurements >= spec.count() && phase == null) {
                        phase = Phase.SUCCESSFUL;
                    }
                    next += intervalNanos;
                    long wait = next - System.nanoTime();
                    if (phase == null && wait > 0) {
                        Thread.sleep(Duration.ofNanos(wait).toMillis(), (int) (wait % 1_000_000));
                    }
                }
            } catch (InterruptedException stopped) {
                Thread.currentThread().interrupt();
            }
        }

        private void measureOnce() throws InterruptedException {
            measurements++;
            List<Double> result = List.of();
            Phase measured;
            String error = null;
            try {
                result = prometheus.query(resolved.query());
                measured = resolved.judge(result);
                consecutiveErrors = 0;
            } catch (java.io.IOException | RuntimeException e) {
                measured = Phase.ERROR;
                error = e.getMessage();
            }
            switch (measured) {
                case FAILED -> failed++;
                case INCONCLUSIVE -> inconclusive++;
                case ERROR -> {
                    errors++;
                    consecutiveErrors++;
                }
                default -> { }
            }
            log.accept(new Measurement(template, spec.name(), measurements, result, measured, error));
            if (failed > spec.failureLimit()) {
                phase = Phase.FAILED;
            } else if (consecutiveErrors > spec.consecutiveErrorLimit()) {
                phase = Phase.ERROR;
            } else if (inconclusive > spec.inconclusiveLimit()) {
                phase = Phase.INCONCLUSIVE;
            }
        }
    }
}
