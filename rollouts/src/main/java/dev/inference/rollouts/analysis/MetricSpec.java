package dev.inference.rollouts.analysis;

import dev.inference.platform.GoDuration;
import java.time.Duration;
import java.util.Objects;

/**
 * One metric of an AnalysisTemplate, with the defaults Argo Rollouts applies. The conditions and the
 * query may hold {@code {{args.x}}}, which {@link #resolve} fills in, as Argo resolves the whole
 * metric (ResolveMetricArgs in utils/analysis/factory.go).
 *
 * @param count measurements to take; 0 for a background metric that runs until stopped
 */
public record MetricSpec(String name, Duration interval, int count, int failureLimit, int inconclusiveLimit,
        int consecutiveErrorLimit, String successCondition, String failureCondition, String query) {

    /** The metric with its arguments filled in, ready to measure and judge. */
    public record Resolved(MetricSpec spec, Condition successCondition, Condition failureCondition, String query) {

        /**
         * A measurement's phase from its result, as Argo decides it (EvaluateResult in
         * utils/evaluate/evaluate.go): with both conditions, failure wins, then success, else
         * Inconclusive; with one, the other outcome is its negation.
         */
        Phase judge(java.util.List<Double> result) {
            if (failureCondition != null && failureCondition.test(result)) {
                return Phase.FAILED;
            }
            if (successCondition != null) {
                if (successCondition.test(result)) {
                    return Phase.SUCCESSFUL;
                }
                return failureCondition == null ? Phase.FAILED : Phase.INCONCLUSIVE;
            }
            return Phase.SUCCESSFUL;
        }
    }

    /**
     * @param args replaces every {@code {{args.x}}} of a text
     * @throws IllegalArgumentException for a condition outside the supported forms once resolved
     */
    public Resolved resolve(java.util.function.UnaryOperator<String> args) {
        return new Resolved(this, condition(successCondition, args), condition(failureCondition, args),
                args.apply(query));
    }

    private static final int DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4;

    /** One entry of spec.metrics as written; a field not declared here is refused when read. */
    record Document(String name, String interval, Integer count, Integer failureLimit, Integer inconclusiveLimit,
            Integer consecutiveErrorLimit, String successCondition, String failureCondition, Provider provider) {

        record Provider(Prometheus prometheus) {}

        /** The query; the address is the runner's, given on its command line. */
        record Prometheus(String address, String query) {}
    }

    /** The metric with Argo's defaults for what the document leaves out. */
    static MetricSpec of(Document metric) {
        if (metric.provider() == null || metric.provider().prometheus() == null) {
            throw new IllegalArgumentException("metric " + metric.name() + ": only the prometheus provider is supported");
        }
        if (metric.successCondition() == null && metric.failureCondition() == null) {
            throw new IllegalArgumentException("metric " + metric.name() + " has no condition");
        }
        return new MetricSpec(metric.name(), GoDuration.parse(Objects.requireNonNullElse(metric.interval(), "60s")),
                Objects.requireNonNullElse(metric.count(), 0), Objects.requireNonNullElse(metric.failureLimit(), 0),
                Objects.requireNonNullElse(metric.inconclusiveLimit(), 0),
                Objects.requireNonNullElse(metric.consecutiveErrorLimit(), DEFAULT_CONSECUTIVE_ERROR_LIMIT),
                metric.successCondition(), metric.failureCondition(), metric.provider().prometheus().query().strip());
    }

    private static Condition condition(String text, java.util.function.UnaryOperator<String> args) {
        return text == null ? null : Condition.parse(args.apply(text));
    }
}
