package dev.inference.server.metrics;

import dev.inference.api.LatencyBuckets;
import dev.inference.server.batching.BatchObserver;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * The server's Prometheus metrics. The names and labels are a contract: the canary analysis and
 * the alert rules query them (see docs/architecture.md, "Metrics").
 */
public final class InferenceMetrics {

    /** Label value for requests that named no model or version the server knows. */
    public static final String UNKNOWN = "unknown";

    static final String REQUESTS = "inference.requests";
    static final String REQUEST_DURATION = "inference.request.duration";
    static final String MODEL_DURATION = "inference.model.duration";
    static final String BATCH_SIZE = "inference.batch.size";
    static final String QUEUE_DEPTH = "inference.queue.depth";
    static final String QUEUE_CAPACITY = "inference.queue.capacity";
    static final String PREDICTIONS = "inference.predictions";
    static final String DROPPED_TEXTS = "inference.dropped.texts";
    static final String BATCH_COST = "inference.batch.cost";
    static final String BATCH_COST_INPUTS = "inference.batch.cost.inputs";
    static final String BATCH_SPLITS = "inference.batch.splits";
    static final String MODEL_READY = "inference.model.ready";

    static final Duration[] MODEL_BUCKETS = LatencyBuckets.durations(
            0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2);
    static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private volatile boolean recording;
    private volatile long recordingSinceNanos;

    public InferenceMetrics() {
        JvmMetrics.builder().register(registry.getPrometheusRegistry());
    }

    /**
     * From now on, calls and batches are recorded. Until then (the server's own warm-up calls,
     * before SERVING) they are not: they are not traffic, and the canary analysis and the alerts
     * would read them as such.
     */
    public void startRecording() {
        recordingSinceNanos = System.nanoTime();
        recording = true;
    }

    boolean recording() {
        return recording;
    }

    /** Whether a call that took {@code nanos} until now counts: it arrived after recording started. */
    boolean counts(long nanos) {
        return recording && System.nanoTime() - nanos - recordingSinceNanos >= 0;
    }

    /** Every metric, for the management port's exposition. */
    public PrometheusRegistry prometheusRegistry() {
        return registry.getPrometheusRegistry();
    }

    /** Meters of one model version. */
    public VersionMetrics forVersion(String model, String version, List<String> labels) {
        Timer modelDuration = Timer.builder(MODEL_DURATION)
                .description("Duration of one forward pass over a batch")
                .tags("model", model, "model_version", version)
                .serviceLevelObjectives(MODEL_BUCKETS)
                .register(registry);
        DistributionSummary batchSize = DistributionSummary.builder(BATCH_SIZE)
                .description("Texts per forward pass")
                .tags("model", model, "model_version", version)
                .serviceLevelObjectives(BATCH_BUCKETS)
                .register(registry);
        Counter[] predictions = labels.stream()
                .map(label -> Counter.builder(PREDICTIONS)
                        .description("Predictions made, by predicted label")
                        .tags("model", model, "model_version", version, "label", label)
                        .register(registry))
                .toArray(Counter[]::new);
        Counter dropped = Counter.builder(DROPPED_TEXTS)
                .description("Texts dropped before the model ran because their caller had gone")
                .tags("model", model, "model_version", version)
                .register(registry);
        return new VersionMetrics(this, model, version, requestTimer(model, version), modelDuration, batchSize,
                predictions, dropped, batchDecisions(model, version));
    }

    /** The batcher's predicted and observed costs and the inputs it turned away, by reason. */
    private VersionMetrics.BatchDecisions batchDecisions(String model, String version) {
        Counter predicted = batchCost(model, version, "predicted");
        Counter observed = batchCost(model, version, "observed");
        Counter inputs = Counter.builder(BATCH_COST_INPUTS)
                .description("Inputs of the forward passes the batcher predicted a cost for")
                .tags("model", model, "model_version", version)
                .register(registry);
        Counter[] splits = java.util.Arrays.stream(BatchObserver.SplitReason.values())
                .map(reason -> Counter.builder(BATCH_SPLITS)
                        .description("Inputs turned away from a batch they could have joined, by reason")
                        .tags("model", model, "model_version", version, "reason", reason.label())
                        .register(registry))
                .toArray(Counter[]::new);
        return new VersionMetrics.BatchDecisions(predicted, observed, inputs, splits);
    }

    private Counter batchCost(String model, String version, String kind) {
        return Counter.builder(BATCH_COST)
                .description("Forward-pass CPU time (the worker thread's) the batcher predicted, and then observed, for the passes it predicted")
                .baseUnit("seconds")
                .tags("model", model, "model_version", version, "kind", kind)
                .register(registry);
    }

    /**
     * Texts waiting in the queues of all versions of a model, and how many may wait before
     * requests are refused; saturation alerts divide the two.
     */
    public void registerQueue(String model, IntSupplier depth, IntSupplier capacity) {
        Gauge.builder(QUEUE_DEPTH, depth::getAsInt)
                .description("Texts waiting for a worker")
                .tag("model", model)
                .register(registry);
        Gauge.builder(QUEUE_CAPACITY, capacity::getAsInt)
                .description("Texts that may wait before requests are refused with RESOURCE_EXHAUSTED")
                .tag("model", model)
                .register(registry);
    }

    /** 1 while a model version is loaded, warmed up and the server is serving, else 0. */
    public void registerReadiness(String model, String version, BooleanSupplier ready) {
        Gauge.builder(MODEL_READY, () -> ready.getAsBoolean() ? 1 : 0)
                .description("Whether the model version can serve requests")
                .tags("model", model, "model_version", version)
                .register(registry);
    }

    /**
     * Counts a Predict call that ended with {@code code} before it reached a model version (an
     * unknown model or version, a malformed request) and records its duration.
     */
    public void requestCompleted(String model, String version, Status.Code code, long nanos) {
        if (!counts(nanos)) {
            return;
        }
        requestCounter(model, version, code).increment();
        requestTimer(model, version).record(nanos, TimeUnit.NANOSECONDS);
    }

    Counter requestCounter(String model, String version, Status.Code code) {
        return Counter.builder(REQUESTS)
                .description("Predict calls, by gRPC status code")
                .tags("model", model, "model_version", version, "grpc_code", code.name())
                .register(registry);
    }

    Timer requestTimer(String model, String version) {
        return Timer.builder(REQUEST_DURATION)
                .description("Duration of Predict calls, from arrival to response")
                .tags("model", model, "model_version", version)
                .serviceLevelObjectives(LatencyBuckets.request())
                .register(registry);
    }
}
