package dev.inference.loadtest.stats;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Service-level objectives a run must meet, e.g. {@code "p99<300ms,errors<1%"}: latency
 * percentiles (p50, p90, p99, p99.9, max) below a duration in us, ms or s, the error share below a
 * percentage, the throughput above a rate ({@code rps>500}).
 */
public record Slo(List<Objective> objectives) {

    /** One objective, e.g. p99 below 300 ms. */
    public record Objective(String metric, boolean below, double limit, String text) {}

    private static final Pattern OBJECTIVE = Pattern.compile(
            "(p50|p90|p99|p99\\.9|max|errors|rps)\\s*([<>])\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(us|ms|s|%)?");
    private static final Set<String> LATENCIES = Set.of("p50", "p90", "p99", "p99.9", "max");

    /** @throws IllegalArgumentException naming the part that could not be read */
    public static Slo parse(String spec) {
        List<Objective> objectives = new ArrayList<>();
        for (String part : spec.split(",")) {
            String text = part.strip();
            Matcher matcher = OBJECTIVE.matcher(text.toLowerCase(Locale.ROOT));
            if (!matcher.matches()) {
                throw new IllegalArgumentException("cannot read the objective \"" + text
                        + "\"; expected e.g. p99<300ms, errors<1%, rps>500");
            }
            String metric = matcher.group(1);
            boolean below = matcher.group(2).equals("<");
            double value = Double.parseDouble(matcher.group(3));
            String unit = matcher.group(4);
            double limit;
            if (LATENCIES.contains(metric)) {
                if (unit == null || unit.equals("%") || !below) {
                    throw new IllegalArgumentException("\"" + text + "\": a latency needs < and a unit (us, ms, s)");
                }
                limit = switch (unit) {
                    case "us" -> value / 1000;
                    case "s" -> value * 1000;
                    default -> value;
                };
            } else if (metric.equals("errors")) {
                if (!"%".equals(unit) || !below) {
                    throw new IllegalArgumentException("\"" + text + "\": errors need < and a percentage, e.g. errors<1%");
                }
                limit = value / 100;
            } else {
                if (unit != null || below) {
                    throw new IllegalArgumentException("\"" + text + "\": throughput needs > and no unit, e.g. rps>500");
                }
                limit = value;
            }
            objectives.add(new Objective(metric, below, limit, text));
        }
        return new Slo(List.copyOf(objectives));
    }

    /** The objectives the run broke, each with the measured value; empty when all are met. */
    public List<String> violations(RunResult result) {
        List<String> violations = new ArrayList<>();
        for (Objective objective : objectives) {
            double measured = switch (objective.metric()) {
                case "errors" -> result.errorRatio();
                case "rps" -> result.callsPerSecond();
                default -> result.latencyMillis().get(objective.metric());
            };
            boolean met = objective.below() ? measured < objective.limit() : measured > objective.limit();
            if (!met) {
                violations.add(objective.text() + " broken: measured " + format(objective.metric(), measured));
            }
        }
        return violations;
    }

    private static String format(String metric, double value) {
        return switch (metric) {
            case "errors" -> String.format(Locale.ROOT, "%.3f%%", value * 100);
            case "rps" -> String.format(Locale.ROOT, "%.1f/s", value);
            default -> String.format(Locale.ROOT, "%.3f ms", value);
        };
    }
}
