package dev.inference.platform;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as Go's {@code time.ParseDuration} writes them, as Argo Rollouts, Prometheus and the
 * load generator's flags do: a sequence of numbers with units, such as {@code 30s}, {@code 5m},
 * {@code 1m30s} or {@code 500ms}.
 */
public final class GoDuration {

    private static final Pattern PART = Pattern.compile("(\\d+)(ms|h|m|s)");

    private GoDuration() {}

    public static Duration parse(String text) {
        Matcher part = PART.matcher(text);
        Duration total = Duration.ZERO;
        int end = 0;
        while (part.find() && part.start() == end) {
            long amount = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "h" -> Duration.ofHours(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "s" -> Duration.ofSeconds(amount);
                default -> Duration.ofMillis(amount);
            });
            end = part.end();
        }
        if (end == 0 || end != text.length()) {
            throw new IllegalArgumentException("not a duration: \"" + text + "\" (expected e.g. 30s, 5m, 1m30s, 500ms)");
        }
        return total;
    }
}
