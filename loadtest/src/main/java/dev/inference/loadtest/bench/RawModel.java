package dev.inference.loadtest.bench;

import dev.inference.loadtest.stats.RunResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The limit of this machine: the server jar's {@code RawModelBenchmark} in a JVM of its own (the
 * model called directly, no network, no queue), so the load generator carries no model runtime and
 * the measurement shares its process with nothing.
 */
final class RawModel {

    private static final String MAIN = "dev.inference.server.bench.RawModelBenchmark";

    private final List<String> launcher;
    private final Path serverJar;
    private final Path versionDir;
    private final Path log;
    private final List<String> flags;

    /**
     * @param launcher what goes before the JVM's command line, such as taskset
     * @param flags more of {@code RawModelBenchmark}'s flags, such as {@code --unpooled}
     */
    RawModel(List<String> launcher, Path serverJar, Path versionDir, Path log, String... flags) {
        this.launcher = launcher;
        this.serverJar = serverJar;
        this.versionDir = versionDir;
        this.log = log;
        this.flags = List.of(flags);
    }

    /** What one run measured, and the CPU seconds the model's process spent in it. */
    record Measurement(RunResult result, double cpuSeconds) {

        double cpuPerText() {
            return cpuSeconds / result.calls();
        }
    }

    /** One thread running batches of {@code batchSize} texts of {@code corpus} in turn; throughput counts texts. */
    Measurement measure(Path corpus, int batchSize, Duration warmup, Duration duration) throws Exception {
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(ServerProcess.java(), "-cp", serverJar.toString(), MAIN,
                "--version-dir", versionDir.toString(), "--corpus", corpus.toString(),
                "--threads", "1", "--batch-size", String.valueOf(batchSize),
                "--warmup-seconds", String.valueOf(warmup.toSeconds()), "--seconds", String.valueOf(duration.toSeconds())));
        command.addAll(flags);
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("OPT_OUT_TRACKING", "true");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (process.waitFor() != 0 || output.isEmpty()) {
            throw new IOException(MAIN + " failed; see " + log);
        }
        Map<String, Double> values = new HashMap<>();
        for (String field : output.lines().reduce((first, last) -> last).orElseThrow().split(" ")) {
            String[] pair = field.split("=", 2);
            values.put(pair[0], Double.parseDouble(pair[1]));
        }
        Map<String, Double> latency = new LinkedHashMap<>();
        for (String percentile : List.of("p50", "p90", "p99", "p99.9", "max")) {
            latency.put(percentile, values.get(percentile + "_ms"));
        }
        long texts = values.get("texts").longValue();
        RunResult result = new RunResult("raw model", "1 thread, batches of " + batchSize, values.get("seconds"),
                texts, 1, Map.of("OK", texts), latency, List.of());
        return new Measurement(result, values.get("cpu_seconds"));
    }

    /** Writes a corpus where the raw model's process (or a person with the load generator's --corpus) can read it. */
    static Path writeCorpus(List<String> texts, Path file) throws IOException {
        return Files.write(file, texts, StandardCharsets.UTF_8);
    }
}
