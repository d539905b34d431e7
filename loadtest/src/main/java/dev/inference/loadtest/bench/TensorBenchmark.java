package dev.inference.loadtest.bench;

import dev.inference.loadtest.Corpus;
import dev.inference.loadtest.LoadRun;
import dev.inference.loadtest.client.OpenInferenceGrpcClient;
import dev.inference.loadtest.client.PredictClient;
import dev.inference.loadtest.schedule.ClosedLoop;
import dev.inference.loadtest.schedule.NanoClock;
import dev.inference.loadtest.stats.Median;
import dev.inference.loadtest.stats.RunResult;
import dev.inference.platform.ManifestVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * What serving costs a tiny tensor model, where the server's own overhead shows most: the
 * dynamic-batch MLP ({@code TabularMlp}) called over the Open Inference Protocol with raw input,
 * against, in the same run, the floor no server can beat (an empty unary call, ServerLive, on the
 * same transport and server) and the raw model in-process (ONNX Runtime, one row per pass). The
 * server runs pinned to one CPU, so its calls per second are calls per second per core; rounds
 * interleave the three, so that the machine's drift touches all alike.
 * <pre>java -cp loadtest/target/loadtest.jar dev.inference.loadtest.bench.TensorBenchmark</pre>
 */
@Command(name = "tensor-benchmark", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        description = "Measures a tiny tensor model served over the Open Inference Protocol against the empty call and the raw model.")
public final class TensorBenchmark implements Callable<Integer> {

    @Mixin
    PlatformJars jars;

    @Option(names = "--concurrency", defaultValue = "32", description = "Callers (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--seconds", defaultValue = "15", description = "Measured seconds per run (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup", defaultValue = "30",
            description = "Seconds of every kind of call before the first round (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--rounds", defaultValue = "3", description = "Interleaved rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--out", defaultValue = "loadtest/target/tensor-bench")
    Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new TensorBenchmark()).execute(args));
    }

    private record Row(double callsPerSecond, double cpuMicrosPerCall) {}

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        Path versionDir = out.resolve("repository/mlp/1");
        writeModel(versionDir);
        Path corpus = RawModel.writeCorpus(Corpus.builtIn().texts(), out.resolve("corpus.txt"));
        Pinning pinning = Pinning.apart();
        RawModel raw = new RawModel(pinning.platform(), jars.server, versionDir, out.resolve("raw-model.log"));
        Map<String, List<Row>> rows = new java.util.LinkedHashMap<>();
        try (ServerProcess server = ServerProcess.inferenceServer(pinning.platform(), jars.server, out.resolve("server.log"),
                "--model-repository", out.resolve("repository").toString())) {
            String target = "127.0.0.1:" + server.port;
            Map<String, Supplier<PredictClient>> clients = new java.util.LinkedHashMap<>();
            clients.put("empty call (ServerLive)", () -> new EmptyCall(target));
            clients.put("MLP, ModelInfer raw", () -> new OpenInferenceGrpcClient(target, "mlp", "", Map.of(), 30_000, true));
            for (String name : clients.keySet()) {
                rows.put(name, new ArrayList<>());
                try (PredictClient client = clients.get(name).get()) {
                    load(client).run("warm-up", Duration.ofSeconds(warmupSeconds), Duration.ZERO, quiet());
                }
            }
            rows.put("raw model, in-process, 1 row per pass", new ArrayList<>());
            for (int round = 1; round <= rounds; round++) {
                for (Map.Entry<String, Supplier<PredictClient>> client : clients.entrySet()) {
                    try (PredictClient calls = client.getValue().get()) {
                        double cpuBefore = server.cpuSeconds();
                        RunResult result = load(calls).run(client.getKey(), Duration.ofSeconds(2),
                                Duration.ofSeconds(seconds), quiet());
                        double cpu = server.cpuSeconds() - cpuBefore;
                        if (result.errors() > 0) {
                            throw new IllegalStateException(client.getKey() + " had errors: " + result.outcomes());
                        }
                        // The warm-up's two seconds spent CPU too: count the measured share of it.
                        double measuredShare = (double) seconds / (seconds + 2);
                        Row row = new Row(result.callsPerSecond(), cpu * measuredShare * 1e6 / result.calls());
                        rows.get(client.getKey()).add(row);
                        print(round, client.getKey(), row);
                    }
                }
                RawModel.Measurement model = raw.measure(corpus, 1, Duration.ofSeconds(5), Duration.ofSeconds(seconds));
                Row row = new Row(model.result().callsPerSecond(), model.cpuPerText() * 1e6);
                rows.get("raw model, in-process, 1 row per pass").add(row);
                print(round, "raw model", row);
            }
        }
        String table = table(rows, pinning);
        System.out.println();
        System.out.println(table);
        Files.writeString(out.resolve("results.md"), table);
        return 0;
    }

    private LoadRun load(PredictClient client) {
        return new LoadRun(client, new ClosedLoop(concurrency, NanoClock.SYSTEM), Corpus.builtIn(), 1);
    }

    /** The benchmark's model, written by the server jar's own builder (the load generator carries no ONNX classes). */
    private void writeModel(Path versionDir) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(ServerProcess.java(), "-cp", jars.server.toString(),
                "dev.inference.server.bench.TabularMlp", versionDir.toString()).inheritIO().start();
        if (process.waitFor() != 0) {
            throw new IOException("could not write the MLP to " + versionDir);
        }
    }

    private static void print(int round, String name, Row row) {
        System.out.printf(Locale.ROOT, "round %d %-38s %8.0f calls/s  %6.1f CPU µs/call%n", round, name,
                row.callsPerSecond(), row.cpuMicrosPerCall());
    }

    private String table(Map<String, List<Row>> rows, Pinning pinning) {
        List<String> names = new ArrayList<>(rows.keySet());
        List<Row> empty = rows.get(names.get(0));
        List<Row> mlp = rows.get(names.get(1));
        List<Row> model = rows.get(names.get(2));
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "Concurrency %d, %s, %d s per run;"
                + " medians of %d interleaved rounds, per-round ratios:%n%n", concurrency, pinning.describe(), seconds, rounds));
        table.append("| | calls/s observed | server CPU µs per call | calls per CPU-second of the server's core |\n"
                + "|---|---|---|---|\n");
        for (Map.Entry<String, List<Row>> entry : rows.entrySet()) {
            double cpu = Median.of(entry.getValue().stream().map(Row::cpuMicrosPerCall).toList());
            table.append(String.format(Locale.ROOT, "| %s | %.0f | %.1f | %.0f |%n", entry.getKey(),
                    Median.of(entry.getValue().stream().map(Row::callsPerSecond).toList()), cpu, 1e6 / cpu));
        }
        List<Double> observed = new ArrayList<>();
        List<Double> perCore = new ArrayList<>();
        List<Double> cost = new ArrayList<>();
        for (int round = 0; round < mlp.size(); round++) {
            observed.add(mlp.get(round).callsPerSecond() / empty.get(round).callsPerSecond());
            perCore.add(empty.get(round).cpuMicrosPerCall() / mlp.get(round).cpuMicrosPerCall());
            cost.add(mlp.get(round).cpuMicrosPerCall()
                    / (model.get(round).cpuMicrosPerCall() + empty.get(round).cpuMicrosPerCall()));
        }
        // With one core for the load generator, calls/s observed is the client's limit as much as
        // the server's; calls per CPU-second of the server is what one core of it can serve.
        table.append(String.format(Locale.ROOT, "%nMLP ÷ empty call, calls per server CPU-second: %s; calls/s observed: %s"
                + " (goal ≥ 0.6). MLP CPU per call ÷ (raw model's + empty call's): %s (goal ≤ 1.2).%n",
                format(perCore), format(observed), format(cost)));
        return table.toString();
    }

    private static String format(List<Double> values) {
        return String.join(", ", values.stream().map(value -> String.format(Locale.ROOT, "%.2f", value)).toList());
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream());
    }
}
