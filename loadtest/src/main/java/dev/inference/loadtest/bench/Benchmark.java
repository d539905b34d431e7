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
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
 * shared machine. The platform's processes run on a CPU of their own and the load generator on
 * the others ({@link Pinning}); every server is warmed up under load until it is steady
 * ({@link SteadyState}); the primary figure is the CPU the platform's processes spend per text,
 * beside throughput and latency. For each model version: the raw model (the baseline); the server
 * at each max batch size on two corpora (the built-in reviews and {@link Corpus#mixedLengths()})
 * at concurrency 32, and at concurrency 1; REST through the gateway against direct gRPC; and a
 * fresh server's first minute, with and without its warm-up before SERVING.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        description = "Benchmark of the inference platform.")
public final class Benchmark implements Callable<Integer> {

    private static final int DEFAULT_MAX_BATCH = 8;

    @Mixin
    PlatformJars jars;

    @Option(names = "--model-repository", defaultValue = "inference-server/target/model-repository")
    Path modelRepository;

    @Option(names = "--versions", split = ",", defaultValue = "1,2")
    List<String> versions;

    @Option(names = "--max-batch-sizes", split = ",", defaultValue = "1,4,8,16",
            description = "The server's max batch sizes to compare (default: ${DEFAULT-VALUE}).")
    List<Integer> maxBatchSizes;

    @Option(names = "--duration", defaultValue = "15", description = "Seconds measured per scenario (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--window", defaultValue = "10",
            description = "Seconds per window while warming up until steady (default: ${DEFAULT-VALUE}).")
    int windowSeconds;

    @Option(names = "--min-windows", defaultValue = "6",
            description = "Fewest warm-up windows: a fresh server's first minute at the default (default: ${DEFAULT-VALUE}).")
    int minWindows;

    @Option(names = "--max-windows", defaultValue = "15", description = "Most warm-up windows (default: ${DEFAULT-VALUE}).")
    int maxWindows;

    @Option(names = "--raw-warmup", defaultValue = "30",
            description = "Seconds the raw model runs before it is measured (default: ${DEFAULT-VALUE}).")
    int rawWarmupSeconds;

    @Option(names = "--out", defaultValue = "loadtest/target/bench")
    Path out;

    private final StringBuilder report = new StringBuilder();

    public static void main(String[] args) {
        System.exit(new CommandLine(new Benchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        Pinning pinning = Pinning.apart();
        Map<String, Corpus> corpora = new LinkedHashMap<>();
        corpora.put("reviews", Corpus.builtIn());
        corpora.put("mixed", Corpus.mixedLengths());
        line("# Benchmark, %s; %s; %d s measured per scenario", LocalDate.now(ZoneOffset.UTC), pinning.describe(), seconds);
        for (String version : versions) {
            new VersionRun(version, pinning, corpora).run();
        }
        Files.writeString(out.resolve("results.md"), report);
        return 0;
    }

    /** Every figure of one model version. */
    private final class VersionRun {
        final String version;
        final Pinning pinning;
        final Map<String, Corpus> corpora;
        final Map<String, Double> rawCpuPerText = new LinkedHashMap<>();
        final Map<String, RunResult> raw = new LinkedHashMap<>();
        final List<String> rows = new ArrayList<>();
        final List<String> notes = new ArrayList<>();

        VersionRun(String version, Pinning pinning, Map<String, Corpus> corpora) {
            this.version = version;
            this.pinning = pinning;
            this.corpora = corpora;
        }

        void run() throws Exception {
            line("%n## Version %s%n", version);
            rawModel();
            line("| scenario | max batch | corpus | concurrency | texts/s | p50 ms | p99 ms | CPU ms per text"
                    + " | CPU per text ÷ raw batch 1 |");
            line("|---|---|---|---|---|---|---|---|---|");
            rows.forEach(row -> line("%s", row));
            rows.clear();
            List<SteadyState.Window> warmedFirstMinute = null;
            for (int maxBatch : maxBatchSizes) {
                try (ServerProcess server = server("batch" + maxBatch, "--max-batch-size", String.valueOf(maxBatch))) {
                    List<SteadyState.Window> windows = warmUntilSteady(server, List.of(server));
                    if (maxBatch == DEFAULT_MAX_BATCH) {
                        warmedFirstMinute = windows;
                        notes.add(server.name + ": SERVING " + server.startupMillis + " ms after its JVM started");
                    }
                    for (String corpus : corpora.keySet()) {
                        measure("server gRPC", maxBatch, corpus, 32, grpc(server), List.of(server));
                    }
                    measure("server gRPC", maxBatch, "reviews", 1, grpc(server), List.of(server));
                    if (maxBatch == DEFAULT_MAX_BATCH) {
                        gateway(server);
                    }
                }
            }
            rows.forEach(row -> line("%s", row));
            firstMinute(warmedFirstMinute);
            line("");
            notes.forEach(note -> line("- %s", note));
        }

        /** The model's workers called directly, on the platform's CPU, one thread: the baseline. */
        void rawModel() throws Exception {
            RawModel model = new RawModel(pinning.platform(), jars.server,
                    modelRepository.resolve("sentiment").resolve(version), out.resolve("raw-v" + version + ".log"));
            Duration warmup = Duration.ofSeconds(rawWarmupSeconds);
            for (Map.Entry<String, Corpus> corpus : corpora.entrySet()) {
                Path file = RawModel.writeCorpus(corpus.getValue().texts(), out.resolve(corpus.getKey() + ".txt"));
                for (int batch : new int[] {1, DEFAULT_MAX_BATCH}) {
                    RawModel.Measurement measured = model.measure(file, batch, warmup, Duration.ofSeconds(seconds));
                    if (batch == 1) {
                        raw.put(corpus.getKey(), measured.result());
                        rawCpuPerText.put(corpus.getKey(), measured.cpuPerText());
                    }
                    row("raw model, 1 thread", String.valueOf(batch), corpus.getKey(), 1, measured.result(),
                            measured.cpuPerText());
                }
            }
        }

        ServerProcess server(String name, String... flags) throws Exception {
            List<String> all = new ArrayList<>(List.of("--model-repository", modelRepository.toString(),
                    "--default-version", "sentiment=" + version));
            all.addAll(List.of(flags));
            return ServerProcess.inferenceServer(pinning.platform(), jars.server,
                    out.resolve("server-v" + version + "-" + name + ".log"), all.toArray(String[]::new));
        }

        List<SteadyState.Window> warmUntilSteady(ServerProcess server, List<ServerProcess> platform) throws Exception {
            try (PredictClient client = grpc(server)) {
                LoadRun load = new LoadRun(client, new ClosedLoop(32, NanoClock.SYSTEM), corpora.get("reviews"), 1);
                List<SteadyState.Window> windows = new SteadyState(Duration.ofSeconds(windowSeconds), minWindows,
                        maxWindows).warm(load, server, platform);
                notes.add(String.format(Locale.ROOT, "%s: steady after %d s; CPU ms per text by %d-s window: %s",
                        server.name, windows.size() * windowSeconds, windowSeconds, SteadyState.costs(windows)));
                progress("v%s %s", version, notes.get(notes.size() - 1));
                return windows;
            }
        }

        /**
         * REST through the gateway against gRPC straight to the server, at concurrency 32. The
         * gateway runs apart from the server, on the load generator's CPUs, as it runs in pods of
         * its own in a cluster; so both compare what the server can serve, and the gateway's own CPU
         * per text shows what the REST path costs. Interleaved, two rounds.
         */
        void gateway(ServerProcess server) throws Exception {
            try (ServerProcess gateway = ServerProcess.gateway(pinning.client(), jars.gateway,
                    out.resolve("gateway-v" + version + ".log"), "--upstream", "127.0.0.1:" + server.port)) {
                try (PredictClient client = rest(gateway)) {
                    List<SteadyState.Window> windows = new SteadyState(Duration.ofSeconds(windowSeconds), 3, maxWindows)
                            .warm(new LoadRun(client, new ClosedLoop(32, NanoClock.SYSTEM), corpora.get("reviews"), 1),
                                    gateway, List.of(gateway));
                    notes.add(String.format(Locale.ROOT, "%s under REST: steady after %d s; its CPU ms per text by"
                            + " window: %s", gateway.name, windows.size() * windowSeconds, SteadyState.costs(windows)));
                }
                List<String> ratios = new ArrayList<>();
                for (int round = 1; round <= 2; round++) {
                    RunResult grpc = measure("server gRPC, round " + round, DEFAULT_MAX_BATCH, "reviews", 32, grpc(server),
                            List.of(server));
                    RunResult rest = measure("gateway REST, round " + round, DEFAULT_MAX_BATCH, "reviews", 32,
                            rest(gateway), List.of(server, gateway));
                    ratios.add(String.format(Locale.ROOT, "%.2f", rest.instancesPerSecond() / grpc.instancesPerSecond()));
                }
                measure("gateway REST", DEFAULT_MAX_BATCH, "reviews", 1, rest(gateway), List.of(server, gateway));
                notes.add("REST through the gateway ÷ gRPC straight to the server, texts/s at concurrency 32, by round: "
                        + ratios);
            }
        }

        /** A fresh server's first windows from SERVING, without its warm-up, against those with it. */
        void firstMinute(List<SteadyState.Window> warmed) throws Exception {
            List<SteadyState.Window> cold;
            try (ServerProcess server = server("no-warm-up", "--warm-up-ms", "0")) {
                notes.add(server.name + ": SERVING " + server.startupMillis + " ms after its JVM started");
                try (PredictClient client = grpc(server)) {
                    LoadRun load = new LoadRun(client, new ClosedLoop(32, NanoClock.SYSTEM), corpora.get("reviews"), 1);
                    cold = new SteadyState(Duration.ofSeconds(windowSeconds), minWindows, minWindows)
                            .warm(load, server, List.of(server));
                }
            }
            line("%nA fresh server from SERVING, max batch %d, concurrency 32, reviews, %d-s windows:%n",
                    DEFAULT_MAX_BATCH, windowSeconds);
            line("| window | CPU ms per text, warmed before SERVING | p99 ms | JIT share | CPU ms per text, no warm-up"
                    + " | p99 ms | JIT share |");
            line("|---|---|---|---|---|---|---|");
            for (int i = 0; i < Math.min(minWindows, Math.min(warmed.size(), cold.size())); i++) {
                SteadyState.Window with = warmed.get(i);
                SteadyState.Window without = cold.get(i);
                line("| %d–%d s | %.2f | %.1f | %.0f%% | %.2f | %.1f | %.0f%% |", i * windowSeconds,
                        (i + 1) * windowSeconds, with.cpuMillisPerText(), with.p99Millis(), 100 * with.jitShare(),
                        without.cpuMillisPerText(), without.p99Millis(), 100 * without.jitShare());
            }
        }

        /**
         * Measures one scenario on a warm platform; the CPU of {@code measured} (the platform's
         * processes on the path) is the row's; with two or more, each one's share gets a row too.
         */
        RunResult measure(String scenario, int maxBatch, String corpus, int concurrency, PredictClient client,
                List<ServerProcess> measured) throws Exception {
            RunResult result;
            double[] cpuBefore = new double[measured.size()];
            try (client) {
                LoadRun run = new LoadRun(client, new ClosedLoop(concurrency, NanoClock.SYSTEM), corpora.get(corpus), 1);
                // Long enough for the callers to reach the new concurrency and corpus; the server is warm already.
                run.run(scenario, Duration.ofSeconds(3), Duration.ZERO, new PrintStream(new ByteArrayOutputStream()));
                for (int i = 0; i < measured.size(); i++) {
                    cpuBefore[i] = measured.get(i).cpuSeconds();
                }
                result = run.run(scenario, Duration.ZERO, Duration.ofSeconds(seconds),
                        new PrintStream(new ByteArrayOutputStream()));
            }
            if (result.errors() > 0) {
                throw new IllegalStateException(scenario + " had errors: " + result.outcomes());
            }
            double[] cpuPerText = new double[measured.size()];
            for (int i = 0; i < measured.size(); i++) {
                cpuPerText[i] = (measured.get(i).cpuSeconds() - cpuBefore[i]) / result.calls();
            }
            row(scenario, String.valueOf(maxBatch), corpus, concurrency, result, Arrays.stream(cpuPerText).sum());
            if (measured.size() > 1) {
                for (int i = 0; i < measured.size(); i++) {
                    row("… of which " + measured.get(i).name, "", corpus, concurrency, result, cpuPerText[i]);
                }
            }
            return result;
        }

        void row(String scenario, String maxBatch, String corpus, int concurrency, RunResult result, double cpuPerText) {
            String row = String.format(Locale.ROOT, "| %s | %s | %s | %d | %.0f | %.2f | %.2f | %.2f | %.2f |", scenario,
                    maxBatch, corpus, concurrency, result.instancesPerSecond(), result.latencyMillis().get("p50"),
                    result.latencyMillis().get("p99"), cpuPerText * 1000, cpuPerText / rawCpuPerText.get(corpus));
            rows.add(row);
            progress("v%s %s", version, row);
        }

        PredictClient grpc(ServerProcess server) {
            return new GrpcPredictClient("127.0.0.1:" + server.port, "sentiment", "", Map.of(), 30_000);
        }

        PredictClient rest(ServerProcess gateway) {
            return new RestPredictClient("http://127.0.0.1:" + gateway.port, "sentiment", "", Map.of(), 30_000);
        }
    }

    private void line(String format, Object... args) {
        report.append(String.format(Locale.ROOT, format, args)).append('\n');
    }

    private static void progress(String format, Object... args) {
        System.out.printf(Locale.ROOT, format + "%n", args);
    }
}
