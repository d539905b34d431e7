package dev.inference.gateway.metrics;

import dev.inference.api.LatencyBuckets;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The gateway's metrics, per track, as histograms (not summaries), so that the traffic split and
 * each track's latency and errors can be compared in Prometheus; plus the live window for the UI.
 */
public final class GatewayMetrics {

    /** Codes that mean the platform failed, as opposed to a caller's mistake. */
    public static final Set<Status.Code> SERVER_FAULTS = EnumSet.of(Status.Code.UNKNOWN, Status.Code.DEADLINE_EXCEEDED,
            Status.Code.RESOURCE_EXHAUSTED, Status.Code.UNIMPLEMENTED, Status.Code.INTERNAL, Status.Code.UNAVAILABLE,
            Status.Code.DATA_LOSS);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final TrafficWindow window = new TrafficWindow(300, System::currentTimeMillis);
    private final AgreementWindow agreement = new AgreementWindow(300, System::currentTimeMillis);

    public GatewayMetrics() {
        JvmMetrics.builder().register(registry.getPrometheusRegistry());
    }

    /** Meters looked up once per label set: building a meter id on every call is work on the hot path. */
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    static final int MOST_CLIENT_LABELS = 20;
    private final Set<String> clientLabels = ConcurrentHashMap.newKeySet();

    public void record(String track, String method, Status.Code code, long nanos) {
        counters.computeIfAbsent(track + '|' + method + '|' + code, key -> Counter.builder("gateway.requests")
                        .description("Calls forwarded to the inference service, by track, method and gRPC status code")
                        .tags("track", track, "method", method, "grpc_code", code.name())
                        .register(registry))
                .increment();
        timers.computeIfAbsent(track + '|' + method, key -> Timer.builder("gateway.request.duration")
                        .description("Duration of forwarded calls, from arrival at the gateway to the answer")
                        .tags("track", track, "method", method)
                        .serviceLevelObjectives(LatencyBuckets.request())
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
        if (method.equals("Predict") || method.equals("ModelInfer")) {
            window.record(track, nanos, SERVER_FAULTS.contains(code));
        }
    }

    /** A call that its upstream refused (UNAVAILABLE) and that the gateway sent once more elsewhere. */
    public void retried(String fromTrack) {
        counters.computeIfAbsent("retry|" + fromTrack, key -> Counter.builder("gateway.retries")
                        .description("Calls retried on another route after their upstream answered UNAVAILABLE, by the track that refused")
                        .tags("track", fromTrack)
                        .register(registry))
                .increment();
    }

    /** The texts of one shadowed call: how many labels the two revisions agreed on, and how many not. */
    public void shadowCompared(String model, String canaryRevision, int agreed, int disagreed) {
        shadowComparisons(model, canaryRevision, "agree").increment(agreed);
        shadowComparisons(model, canaryRevision, "disagree").increment(disagreed);
        agreement.record(canaryRevision, agreed, disagreed);
    }

    /** A shadow call that failed; the comparison it was for does not count either way. */
    public void shadowFailed(String model, String canaryRevision, Status.Code code) {
        counters.computeIfAbsent("shadow-error|" + model + '|' + canaryRevision + '|' + code,
                key -> Counter.builder("inference.shadow.errors")
                        .description("Shadow calls that failed, by the canary revision involved and gRPC status code")
                        .tags("model", model, "canary_revision", canaryRevision, "grpc_code", code.name())
                        .register(registry))
                .increment();
    }

    /** A sampled call that was not shadowed or not compared, and why. */
    public void shadowSkipped(String model, String reason) {
        counters.computeIfAbsent("shadow-skip|" + model + '|' + reason, key -> Counter.builder("inference.shadow.skipped")
                        .description("Calls sampled for the shadow comparison but not compared, by reason")
                        .tags("model", model, "reason", reason)
                        .register(registry))
                .increment();
    }

    private Counter shadowComparisons(String model, String canaryRevision, String outcome) {
        return counters.computeIfAbsent("shadow|" + model + '|' + canaryRevision + '|' + outcome,
                key -> Counter.builder("inference.shadow.comparisons")
                        .description("Texts answered by both tracks (two revisions), by whether their labels agree")
                        .tags("model", model, "canary_revision", canaryRevision, "outcome", outcome)
                        .register(registry));
    }

    /** A call refused by the edge's authentication or model check, by reason. */
    public void authRefused(String reason) {
        counters.computeIfAbsent("auth|" + reason, key -> Counter.builder("gateway.auth.refusals")
                        .description("Calls refused for their credential or for a model their client may not call, by reason")
                        .tags("reason", reason)
                        .register(registry))
                .increment();
    }

    /**
     * A call refused for its client's rate limit. Authenticated clients are named, the first
     * {@value #MOST_CLIENT_LABELS} of them; later ones are {@code other} and anonymous callers
     * (counted by address) {@code anonymous}, so the label stays bounded.
     */
    public void rateLimited(Optional<String> client) {
        String label = client.map(id -> clientLabels.contains(id) || (clientLabels.size() < MOST_CLIENT_LABELS
                && clientLabels.add(id)) ? id : "other").orElse("anonymous");
        counters.computeIfAbsent("rate|" + label, key -> Counter.builder("gateway.rate.limited")
                        .description("Calls refused because their client was over its rate limit, by client")
                        .tags("client", label)
                        .register(registry))
                .increment();
    }

    /** A call whose rate limit was decided by this gateway's share of it, Redis being unreachable. */
    public void rateLimitFallback() {
        counters.computeIfAbsent("rate-fallback", key -> Counter.builder("gateway.rate.limit.fallback")
                        .description("Calls whose rate limit was decided by this gateway alone because Redis did not answer")
                        .register(registry))
                .increment();
    }

    /** 1 while rate limits are shared through Redis, 0 while each gateway counts its share. */
    public void registerRateLimitShared(IntSupplier shared) {
        Gauge.builder("gateway.rate.limit.shared", shared::getAsInt)
                .description("1 while rate limits are shared by every gateway through Redis, 0 while each counts its share alone")
                .register(registry);
    }

    public void registerCanaryWeight(IntSupplier weight) {
        Gauge.builder("gateway.canary.weight", weight::getAsInt)
                .description("Percent of unpinned requests sent to the canary (local mode)")
                .register(registry);
    }

    public TrafficWindow window() {
        return window;
    }

    public AgreementWindow agreement() {
        return agreement;
    }

    /** Served by Armeria's {@code PrometheusExpositionService}, which negotiates the format with the scraper. */
    public PrometheusRegistry prometheusRegistry() {
        return registry.getPrometheusRegistry();
    }
}
