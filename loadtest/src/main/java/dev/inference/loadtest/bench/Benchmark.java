package dev.inference.loadtest.bench;

import dev.inference.loadtest.Corpus;
import dev.inference.loadtest.LoadRun;
import dev.inference.loadtest.client.GrpcPredictClient;
import dev.inference.loadtest.client.PredictClient;
import dev.inference.loadtest.client.RestPredictClient;
import dev.inference.loadtest.schedule.ClosedLoop;
import dev.inference.loadtest.schedule.NanoClock;
import dev.inference.loadtest.stats.RunResult;
import dev.inference.platform.ManifestVersion;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The platform's benchmark, every figure from one run so that ratios compare like with like on a
 * shared machine: for each model version, at concurrency 1 and 32, (1) the raw model in-process,
 * (2) the inference server over gRPC, (3) the gateway over REST and over gRPC, (4) the server with
 * batching off; plus the server's time to SERVING and its resident memory afterwards.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class, description = "Benchmark of the inference platform.")
public final class Benchmark implements Callable<Integer> {

    private static final int[] CONCURRENCY = {1, 32};
    private static final int[] RAW_BATCHES = {1, 4, 8, 16, 32};

    @Mixin
    PlatformJars jars;

    @Option(names = "--model-repository", defaultValue = "inference-server/target/model-repository")
    Path modelRepository;

    @Option(names = "--versions", split = ",", defaultValue = "1,2")
    List<String> versions;

    @Option(names = "--duration", defaultValue = "10", description = "Seconds measured per scenario (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup", defaultValue = "3", description = "Seconds of warm-up per scenario (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--out", defaultValue = "loadtest/target/bench")
    Path out;

    @Option(names = "--batching-rounds", defaultValue = "3",
            description = "Interleaved rounds of batching on/off at concurrency 32 (default: ${DEFAULT-VALUE}).")
    int batchingRounds;

    private final List<String> rows = new ArrayList<>();
    private final List<String> batchingRows = new ArrayList<>();

    public static void main(String[] args) {
        System.exit(new CommandLine(new Benchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        Duration warmup = Duration.ofSeconds(warmupSeconds);
        Duration duration = Duration.ofSeconds(seconds);
        Corpus corpus = Corpus.builtIn();
        Path corpusFile = RawModel.writeCorpus(corpus.texts(), out);
        List<String> notes = new ArrayList<>();
        for (String version : versions) {
            Map<Integer, RunResult> raw = new java.util.HashMap<>();
            Map<Integer, Double> rawCpuPerText = new java.util.HashMap<>();
            RawModel model = new RawModel(jars.server, modelRepository.resolve("sentiment").resolve(version),
                    corpusFile, out.resolve("raw-v" + version + ".log"));
            RawModel.Measurement rawUnbatched = model.measure("raw", 1, 1, warmup, duration);
            raw.put(1, rawUnbatched.result());
            rawCpuPerText.put(1, rawUnbatched.cpuPerText());
            RawModel.Measurement best = null;
            for (int batch : RAW_BATCHES) {
                RawModel.Measurement candidate = model.measure("raw", 2, batch, warmup, duration);
                progress("raw v" + version + " 2 threads, batch " + batch, candidate.result());
                if (best == null || candidate.result().callsPerSecond() > best.result().callsPerSecond()) {
                    best = candidate;
                }
            }
            raw.put(32, best.result());
            rawCpuPerText.put(32, best.cpuPerText());
            row(version, "1 raw in-process", 1, raw.get(1), raw.get(1), rawCpuPerText.get(1), rawCpuPerText.get(1));
            row(version, "1 raw in-process (" + raw.get(32).load() + ")", 32, raw.get(32), raw.get(32),
                    rawCpuPerText.get(32), rawCpuPerText.get(32));

            try (ServerProcess server = ServerProcess.inferenceServer(jars.server, out.resolve("server-v" + version + ".log"),
                    "--default-version", "sentiment=" + version);
                 ServerProcess gateway = ServerProcess.gateway(jars.gateway, out.resolve("gateway-v" + version + ".log"),
                         "--upstream", "127.0.0.1:" + server.port)) {
                notes.add(String.format(Locale.ROOT, "version %s: server SERVING %d ms after its JVM started", version,
                        server.startupMillis));
                for (int concurrency : CONCURRENCY) {
                    runClient(version, "2 server gRPC", concurrency, raw.get(concurrency), rawCpuPerText.get(concurrency),
                            List.of(server), new GrpcPredictClient("127.0.0.1:" + server.port, "sentiment", "", Map.of(), 30_000),
                            warmup, duration, corpus);
                }
                for (int concurrency : CONCURRENCY) {
                    runClient(version, "3 gateway REST", concurrency, raw.get(concurrency), rawCpuPerText.get(concurrency),
                            List.of(server, gateway), new RestPredictClient("http://127.0.0.1:" + gateway.port, "sentiment", "", Map.of(), 30_000),
                            warmup, duration, corpus);
                    runClient(version, "3 gateway gRPC", concurrency, raw.get(concurrency), rawCpuPerText.get(concurrency),
                            List.of(server, gateway), new GrpcPredictClient("127.0.0.1:" + gateway.port, "sentiment", "", Map.of(), 30_000),
                            warmup, duration, corpus);
                }
                notes.add(String.format(Locale.ROOT, "version %s: server resident memory after the run %d MB (both versions loaded)",
                        version, server.residentBytes() / (1024 * 1024)));
            }
            try (ServerProcess unbatched = ServerProcess.inferenceServer(jars.server, out.resolve("server-unbatched-v" + version + ".log"),
                    "--default-version", "sentiment=" + version, "--max-batch-size", "1")) {
                for (int concurrency : CONCURRENCY) {
                    runClient(version, "4 server gRPC, batching off", concurrency, raw.get(concurrency),
                            rawCpuPerText.get(concurrency), List.of(unbatched), new GrpcPredictClient("127.0.0.1:" + unbatched.port, "sentiment", "", Map.of(), 30_000),
                            warmup, duration, corpus);
                }
            }
        }
        for (String version : versions) {
            compareBatching(version, warmup, duration, corpus);
        }
        String table = table(notes);
        System.out.println();
        System.out.println(table);
        Files.writeString(out.resolve("results.md"), table);
        return 0;
    }

    /**
     * Batching on (the default) against off at concurrency 32, interleaved round by round with a
     * fresh server each time, so that a machine that drifts during the run favours neither.
     */
    private void compareBatching(String version, Duration warmup, Duration duration, Corpus corpus) throws Exception {
        List<Double> on = new ArrayList<>();
        List<Double> off = new ArrayList<>();
        for (int round = 1; round <= batchingRounds; round++) {
            for (boolean batching : new boolean[] {true, false}) {
                String[] flags = batching ? new String[] {"--default-version", "sentiment=" + version}
                        : new String[] {"--default-version", "sentiment=" + version, "--max-batch-size", "1"};
                try (ServerProcess server = ServerProcess.inferenceServer(jars.server,
                        out.resolve("batching-v" + version + "-" + round + "-" + batching + ".log"), flags);
                     GrpcPredictClient client = new GrpcPredictClient("127.0.0.1:" + server.port, "sentiment", "",
                             Map.of(), 30_000)) {
                    RunResult result = new LoadRun(client, new ClosedLoop(32, NanoClock.SYSTEM), corpus, 1)
                            .run("batching", warmup, duration, new PrintStream(new ByteArrayOutputStream()));
                    (batching ? on : off).add(result.instancesPerSecond());
                    progress("batching " + (batching ? "on " : "off") + " v" + version + " round " + round, result);
                }
            }
        }
        double medianOn = median(on);
        double medianOff = median(off);
        batchingRows.add(String.format(Locale.ROOT, "| %s | %s | %s | %.0f | %.0f | %.2f |", version,
                on.stream().map(value -> String.format(Locale.ROOT, "%.0f", value)).toList(),
                off.stream().map(value -> String.format(Locale.ROOT, "%.0f", value)).toList(),
                medianOn, medianOff, medianOn / medianOff));
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    /**
     * Drives one scenario and records it; the CPU the platform's processes spent per text is
     * measured over the run (warm-up included in neither the count nor the CPU: both start after it).
     */
    private void runClient(String version, String scenario, int concurrency, RunResult raw, double rawCpuPerText,
            List<ServerProcess> platform, PredictClient client, Duration warmup, Duration duration, Corpus corpus)
            throws Exception {
        RunResult result;
        double cpuBefore;
        try (client) {
            LoadRun run = new LoadRun(client, new ClosedLoop(concurrency, NanoClock.SYSTEM), corpus, 1);
            run.run(scenario, warmup, Duration.ZERO, new PrintStream(new ByteArrayOutputStream()));
            cpuBefore = cpuSeconds(platform);
            result = run.run(scenario, Duration.ZERO, duration, new PrintStream(new ByteArrayOutputStream()));
        }
        double cpuPerText = (cpuSeconds(platform) - cpuBefore) / result.calls();
        if (result.errors() > 0) {
            throw new IllegalStateException(scenario + " had errors: " + result.outcomes());
        }
        progress(scenario + " v" + version + " c" + concurrency, result);
        row(version, scenario, concurrency, result, raw, cpuPerText, rawCpuPerText);
    }

    private static double cpuSeconds(List<ServerProcess> processes) throws java.io.IOException {
        double total = 0;
        for (ServerProcess process : processes) {
            total += process.cpuSeconds();
        }
        return total;
    }

    private void row(String version, String scenario, int concurrency, RunResult result, RunResult raw,
            double cpuPerText, double rawCpuPerText) {
        rows.add(String.format(Locale.ROOT, "| %s | %s | %d | %.0f | %.2f | %.2f | %.2f | %+.2f | %.2f | %.2f |", version,
                scenario, concurrency, result.instancesPerSecond(), result.latencyMillis().get("p50"),
                result.latencyMillis().get("p99"), result.instancesPerSecond() / raw.instancesPerSecond(),
                result.latencyMillis().get("p50") - raw.latencyMillis().get("p50"), cpuPerText * 1000,
                rawCpuPerText / cpuPerText));
    }

    private String table(List<String> notes) {
        StringBuilder table = new StringBuilder();
        table.append("| version | scenario | concurrency | texts/s | p50 ms | p99 ms | throughput ÷ raw | p50 − raw p50 (ms)"
                + " | CPU ms per text | CPU efficiency ÷ raw |\n");
        table.append("|---|---|---|---|---|---|---|---|---|---|\n");
        rows.forEach(row -> table.append(row).append('\n'));
        table.append('\n');
        notes.forEach(note -> table.append("- ").append(note).append('\n'));
        table.append("\nBatching on (max batch 8) against off (max batch 1) at concurrency 32, interleaved rounds,"
                + " a fresh server each (texts/s):\n\n");
        table.append("| version | on, by round | off, by round | on, median | off, median | on ÷ off |\n");
        table.append("|---|---|---|---|---|---|\n");
        batchingRows.forEach(row -> table.append(row).append('\n'));
        return table.toString();
    }

    private static void progress(String label, RunResult result) {
        System.out.printf(Locale.ROOT, "%-40s %8.0f texts/s  p50 %7.2f ms  p99 %7.2f ms%n", label,
                result.instancesPerSecond(), result.latencyMillis().get("p50"), result.latencyMillis().get("p99"));
    }
}
