package dev.inference.loadtest.bench;

import dev.inference.loadtest.Corpus;
import dev.inference.loadtest.LoadRun;
import dev.inference.loadtest.client.GrpcPredictClient;
import dev.inference.loadtest.client.OpenInferenceGrpcClient;
import dev.inference.loadtest.client.OpenInferenceRestClient;
import dev.inference.loadtest.client.PredictClient;
import dev.inference.loadtest.client.RestPredictClient;
import dev.inference.loadtest.schedule.ClosedLoop;
import dev.inference.loadtest.schedule.NanoClock;
import dev.inference.loadtest.stats.Median;
import dev.inference.loadtest.stats.RunResult;
import dev.inference.platform.ManifestVersion;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What the Open Inference Protocol's tensor encoding costs against {@code inference.v1} on the same
 * load: one server behind the gateway (mesh mode), the same texts at the same concurrency, over
 * gRPC (v1, v2 typed, v2 raw) and REST (v1, v2), in interleaved rounds. The figures are the texts per
 * second and the CPU the platform's two processes spent per text, each as a ratio to v1 on the same
 * transport.
 * <pre>java -cp loadtest/target/loadtest.jar dev.inference.loadtest.bench.ApiBenchmark</pre>
 */
@Command(name = "api-bench", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        description = "inference.v1 against the Open Inference Protocol v2 on the same load.")
public final class ApiBenchmark implements Callable<Integer> {

    @Mixin
    PlatformJars jars;

    @Option(names = "--model-version", defaultValue = "1", description = "Model version (default: ${DEFAULT-VALUE}).")
    String version;

    @Option(names = "--concurrency", defaultValue = "16", description = "Callers (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--texts-per-call", defaultValue = "4", description = "Texts per call (default: ${DEFAULT-VALUE}).")
    int textsPerCall;

    @Option(names = "--duration", defaultValue = "10", description = "Seconds measured per run (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup", defaultValue = "5", description = "Seconds of warm-up per run (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--rounds", defaultValue = "3", description = "Interleaved rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--out", defaultValue = "loadtest/target/api-bench")
    Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ApiBenchmark()).execute(args));
    }

    private record Measured(List<Double> textsPerSecond, List<Double> cpuMillisPerText) {}

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        Map<String, Measured> measured = new LinkedHashMap<>();
        try (ServerProcess server = ServerProcess.inferenceServer(jars.server, out.resolve("server.log"),
                "--default-version", "sentiment=" + version);
             ServerProcess gateway = ServerProcess.gateway(List.of(), jars.gateway, out.resolve("gateway.log"),
                     "--upstream", "127.0.0.1:" + server.port)) {
            String grpc = "127.0.0.1:" + gateway.port;
            String rest = "http://127.0.0.1:" + gateway.port;
            Map<String, Supplier<PredictClient>> clients = new LinkedHashMap<>();
            clients.put("gRPC v1", () -> new GrpcPredictClient(grpc, "sentiment", "", Map.of(), 30_000));
            clients.put("gRPC v2 typed", () -> new OpenInferenceGrpcClient(grpc, "sentiment", "", Map.of(), 30_000, false));
            clients.put("gRPC v2 raw", () -> new OpenInferenceGrpcClient(grpc, "sentiment", "", Map.of(), 30_000, true));
            clients.put("REST v1", () -> new RestPredictClient(rest, "sentiment", "", Map.of(), 30_000));
            clients.put("REST v2", () -> new OpenInferenceRestClient(rest, "sentiment", "", Map.of(), 30_000));
            clients.keySet().forEach(name -> measured.put(name, new Measured(new ArrayList<>(), new ArrayList<>())));
            for (int round = 1; round <= rounds; round++) {
                for (Map.Entry<String, Supplier<PredictClient>> client : clients.entrySet()) {
                    try (PredictClient predict = client.getValue().get()) {
                        LoadRun run = new LoadRun(predict, new ClosedLoop(concurrency, NanoClock.SYSTEM), Corpus.builtIn(),
                                textsPerCall);
                        run.run("warm-up", Duration.ofSeconds(warmupSeconds), Duration.ZERO, quiet());
                        double cpuBefore = ServerProcess.cpuSeconds(List.of(server, gateway));
                        RunResult result = run.run(client.getKey(), Duration.ZERO, Duration.ofSeconds(seconds), quiet());
                        double cpu = ServerProcess.cpuSeconds(List.of(server, gateway)) - cpuBefore;
                        if (result.errors() > 0) {
                            throw new IllegalStateException(client.getKey() + " had errors: " + result.outcomes());
                        }
                        double texts = (double) result.calls() * textsPerCall;
                        measured.get(client.getKey()).textsPerSecond().add(result.instancesPerSecond());
                        measured.get(client.getKey()).cpuMillisPerText().add(cpu * 1000 / texts);
                        System.out.printf(Locale.ROOT, "round %d %-14s %7.0f texts/s  %.2f CPU ms/text  p50 %.2f ms%n",
                                round, client.getKey(), result.instancesPerSecond(), cpu * 1000 / texts,
                                result.latencyMillis().get("p50"));
                    }
                }
            }
        }
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "Version %s, %d texts per call, concurrency %d,"
                + " through the gateway; medians of %d interleaved rounds:%n%n", version, textsPerCall, concurrency, rounds));
        table.append("| API | texts/s | ÷ v1, same transport | platform CPU ms per text | ÷ v1, same transport |\n");
        table.append("|---|---|---|---|---|\n");
        for (Map.Entry<String, Measured> entry : measured.entrySet()) {
            String baseline = entry.getKey().startsWith("gRPC") ? "gRPC v1" : "REST v1";
            double rate = Median.of(entry.getValue().textsPerSecond());
            double cpu = Median.of(entry.getValue().cpuMillisPerText());
            table.append(String.format(Locale.ROOT, "| %s | %.0f | %.2f | %.2f | %.2f |%n", entry.getKey(), rate,
                    rate / Median.of(measured.get(baseline).textsPerSecond()), cpu,
                    cpu / Median.of(measured.get(baseline).cpuMillisPerText())));
        }
        System.out.println();
        System.out.println(table);
        Files.writeString(out.resolve("results.md"), table);
        return 0;
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream());
    }
}
