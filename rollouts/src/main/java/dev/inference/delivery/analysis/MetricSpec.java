package dev.inference.delivery.analysis;

import dev.inference.delivery.GoDuration;
import java.time.Duration;
import java.util.Map;

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

    /** Reads one entry of spec.metrics; refuses fields it cannot honour. */
    @SuppressWarnings("unchecked")
    static MetricSpec read(Map<String, Object> metric) {
        for (String field : metric.keySet()) {
            if (!java.util.Set.of("name", "interval", "count", "failureLimit", "inconclusiveLimit",
                    "consecutiveErrorLimit", "successCondition", "failureCondition", "provider").contains(field)) {
                throw new IllegalArgumentException("metric " + metric.get("name") + ": the runner does not support " + field);
            }
        }
        Map<String, Object> provider = (Map<String, Object>) metric.get("provider");
        if (provider == null || provider.size() != 1 || !provider.containsKey("prometheus")) {
            throw new IllegalArgumentException("metric " + metric.get("name") + ": only the prometheus provider is supported");
        }
        Map<String, Object> prometheus = (Map<String, Object>) provider.get("prometheus");
        if (metric.get("successCondition") == null && metric.get("failureCondition") == null) {
            throw new IllegalArgumentException("metric " + metric.get("name") + " has no condition");
        }
        return new MetricSpec((String) metric.get("name"),
                GoDuration.parse((String) metric.getOrDefault("interval", "60s")),
                intValue(metric.get("count"), 0), intValue(metric.get("failureLimit"), 0),
                intValue(metric.get("inconclusiveLimit"), 0),
                intValue(metric.get("consecutiveErrorLimit"), DEFAULT_CONSECUTIVE_ERROR_LIMIT),
                text(metric.get("successCondition")), text(metric.get("failureCondition")),
                ((String) prometheus.get("query")).strip());
    }

    private static Condition condition(String text, java.util.function.UnaryOperator<String> args) {
        return text == null ? null : Condition.parse(args.apply(text));
    }

    private static String text(Object value) {
        return value == null ? null : String.valueOf(value);
    }

    private static int intValue(Object value, int fallback) {
        return value == null ? fallback : Integer.parseInt(String.valueOf(value));
    }
}
