package dev.inference.loadtest.report;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.inference.loadtest.stats.RunResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** Writes a run's result as JSON and as a self-contained HTML page (inline SVG, no CDN). */
public final class Reports {

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    private Reports() {}

    public static void write(RunResult result, Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.writeString(directory.resolve("result.json"), GSON.toJson(result));
        Files.writeString(directory.resolve("report.html"), html(result));
    }

    static String html(RunResult result) {
        List<RunResult.Second> timeline = result.timeline();
        double maxLatency = Math.max(1, timeline.stream().mapToDouble(RunResult.Second::p99Millis).max().orElse(1));
        double maxRate = Math.max(1, timeline.stream().mapToDouble(RunResult.Second::callsPerSecond).max().orElse(1));
        String percentileRows = result.latencyMillis().entrySet().stream()
                .map(entry -> "<tr><td>" + entry.getKey() + "</td><td>" + format(entry.getValue()) + " ms</td></tr>")
                .collect(Collectors.joining());
        String outcomeRows = result.outcomes().entrySet().stream()
                .map(entry -> "<tr><td>" + escape(entry.getKey()) + "</td><td>" + entry.getValue() + "</td></tr>")
                .collect(Collectors.joining());
        return """
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>%s</title>
                <style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2330}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
                td,th{border:1px solid #dfe3ea;padding:.3rem .7rem;text-align:right}svg{background:#fafbfc;border:1px solid #dfe3ea}
                .p50{stroke:#2f5fd0}.p99{stroke:#e07a1f}.rate{stroke:#1f8a4c}polyline{fill:none;stroke-width:2}</style></head><body>
                <h1>%s</h1><p>%s for %.1f s: %d calls, %.1f calls/s, %.1f texts/s, %.3f%% errors.</p>
                <h2>Latency percentiles (successful calls, from the intended send time)</h2><table>%s</table>
                <h2>Latency over time</h2><p><span style="color:#2f5fd0">p50</span> and <span style="color:#e07a1f">p99</span> per second, 0 to %s ms</p>
                <svg viewBox="0 0 800 200" width="800" height="200">%s%s</svg>
                <h2>Throughput over time</h2><p>calls per second, 0 to %.0f</p>
                <svg viewBox="0 0 800 200" width="800" height="200">%s</svg>
                <h2>Outcomes</h2><table>%s</table></body></html>
                """.formatted(escape(result.name()), escape(result.name()), escape(result.load()), result.seconds(),
                result.calls(), result.callsPerSecond(), result.instancesPerSecond(), result.errorRatio() * 100,
                percentileRows, format(maxLatency),
                polyline(timeline.stream().map(RunResult.Second::p50Millis).toList(), maxLatency, "p50"),
                polyline(timeline.stream().map(RunResult.Second::p99Millis).toList(), maxLatency, "p99"), maxRate,
                polyline(timeline.stream().map(RunResult.Second::callsPerSecond).toList(), maxRate, "rate"), outcomeRows);
    }

    private static String polyline(List<Double> values, double max, String cssClass) {
        double step = 800.0 / Math.max(1, values.size() - 1);
        String points = java.util.stream.IntStream.range(0, values.size())
                .mapToObj(i -> String.format(Locale.ROOT, "%.1f,%.1f", i * step, 195 - 190 * values.get(i) / max))
                .collect(Collectors.joining(" "));
        return "<polyline class=\"" + cssClass + "\" points=\"" + points + "\"/>";
    }

    private static String format(double value) {
        return String.format(Locale.ROOT, "%.3f", value);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
