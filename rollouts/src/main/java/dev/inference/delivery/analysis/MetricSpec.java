package dev.inference.delivery.analysis;

import dev.inference.delivery.GoDuration;
import java.time.Duration;
import java.util.Map;

/**
 * One metric of an AnalysisTemplate, with the defaults Argo Rollouts applies.
 *
 * @param count measurements to take; 0 for a background metric that runs until stopped
 */
public record MetricSpec(String name, Duration interval, int count, int failureLimit, int inconclusiveLimit,
        int consecutiveErrorLimit, Condition successCondition, Condition failureCondition, String query) {

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
                condition(metric.get("successCondition")), condition(metric.get("failureCondition")),
                ((String) prometheus.get("query")).strip());
    }

    /**
     * A measurement's phase from its result, as Argo decides it: with both conditions, failure
     * wins, then success, else Inconclusive; with one, the other outcome is its negation.
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

    private static Condition condition(Object text) {
        return text == null ? null : Condition.parse(String.valueOf(text));
    }

    private static int intValue(Object value, int fallback) {
        return value == null ? fallback : Integer.parseInt(String.valueOf(value));
    }
}
