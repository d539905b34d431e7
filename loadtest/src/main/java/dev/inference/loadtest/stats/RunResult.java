package dev.inference.loadtest.stats;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * What one run measured.
 *
 * @param name what was measured, e.g. "server gRPC, version 1"
 * @param load the load pattern, e.g. "concurrency 32"
 * @param seconds length of the measured phase
 * @param calls calls completed in it, successful or not
 * @param instancesPerCall texts per call
 * @param outcomes calls by status
 * @param latencyMillis latency percentiles of successful calls: p50, p90, p99, p99.9, max
 * @param timeline one point per second
 */
public record RunResult(String name, String load, double seconds, long calls, int instancesPerCall,
        Map<String, Long> outcomes, Map<String, Double> latencyMillis, List<Second> timeline) {

    /** One second of a run: calls per second and latency percentiles of that second. */
    public record Second(int second, double callsPerSecond, double p50Millis, double p99Millis, long errors) {}

    public static Map<String, Double> percentiles(Histogram histogram) {
        Map<String, Double> percentiles = new LinkedHashMap<>();
        percentiles.put("p50", millis(histogram.getValueAtPercentile(50)));
        percentiles.put("p90", millis(histogram.getValueAtPercentile(90)));
        percentiles.put("p99", millis(histogram.getValueAtPercentile(99)));
        percentiles.put("p99.9", millis(histogram.getValueAtPercentile(99.9)));
        percentiles.put("max", millis(histogram.getMaxValue()));
        return percentiles;
    }

    static double millis(long nanos) {
        return Math.round(nanos / 1e3) / 1e3;
    }

    public long errors() {
        return outcomes.entrySet().stream().filter(entry -> !entry.getKey().equals("OK"))
                .mapToLong(Map.Entry::getValue).sum();
    }

    public double errorRatio() {
        return calls == 0 ? 0 : (double) errors() / calls;
    }

    public double callsPerSecond() {
        return calls / seconds;
    }

    public double instancesPerSecond() {
        return callsPerSecond() * instancesPerCall;
    }
}
