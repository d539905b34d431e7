package dev.inference.loadtest.bench;

import dev.inference.loadtest.Corpus;
import dev.inference.loadtest.LoadRun;
import dev.inference.loadtest.client.GrpcPredictClient;
import dev.inference.loadtest.schedule.NanoClock;
import dev.inference.loadtest.schedule.OpenLoop;
import dev.inference.loadtest.stats.Median;
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
 * What the shadow comparison costs the calls it shadows: the gateway in local mode in front of a
 * stable server and a canary slowed by {@code --inject-latency-ms}, every call sent to stable, with
 * shadowing off and at 100%, in interleaved rounds with a fresh gateway each. The primary's
 * latency must not move: the shadow leaves only after the client has its answer. The canary serves
 * version 1 like stable, so that the shadows' model work, which in a cluster runs in the canary's own
 * pods but here shares this machine's cores, stays small.
 * <pre>java -cp loadtest/target/loadtest.jar dev.inference.loadtest.bench.ShadowBenchmark</pre>
 */
@Command(name = "shadow-bench", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        description = "The shadow comparison's cost to the primary call's latency.")
public final class ShadowBenchmark implements Callable<Integer> {

    @Mixin
    PlatformJars jars;

    @Option(names = "--rate", defaultValue = "50", description = "Calls per second, open loop (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--canary-latency-ms", defaultValue = "500",
            description = "Latency injected into the canary, which only answers shadows (default: ${DEFAULT-VALUE}).")
    int canaryLatencyMillis;

    @Option(names = "--duration", defaultValue = "15", description = "Seconds measured per run (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup", defaultValue = "20", description = "Seconds of warm-up per run (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--server-warmup", defaultValue = "40",
            description = "Seconds of calls straight to each server before the first round (default: ${DEFAULT-VALUE}).")
    int serverWarmupSeconds;

    @Option(names = "--rounds", defaultValue = "4", description = "Interleaved rounds of off and 100%% (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--out", defaultValue = "loadtest/target/shadow-bench")
    Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ShadowBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        List<String> rows = new ArrayList<>();
        List<Double> off = new ArrayList<>();
        List<Double> on = new ArrayList<>();
        try (ServerProcess stable = ServerProcess.inferenceServer(jars.server, out.resolve("stable.log"),
                "--default-version", "sentiment=1", "--track", "stable", "--revision", "st4ble");
             ServerProcess canary = ServerProcess.inferenceServer(jars.server, out.resolve("canary.log"),
                     "--default-version", "sentiment=1", "--track", "canary", "--revision", "c4n4ry",
                     "--inject-latency-ms", String.valueOf(canaryLatencyMillis))) {
            // Both servers warm before the first round: a canary that compiles its hot paths while
            // the first shadowed round runs would charge its JIT to shadowing.
            for (ServerProcess server : List.of(stable, canary)) {
                try (GrpcPredictClient client = new GrpcPredictClient("127.0.0.1:" + server.port, "sentiment", "",
                        Map.of(), 10_000)) {
                    new LoadRun(client, new OpenLoop(rate, NanoClock.SYSTEM), Corpus.builtIn(), 1).run("warm-up",
                            Duration.ofSeconds(serverWarmupSeconds), Duration.ZERO, new PrintStream(new ByteArrayOutputStream()));
                }
            }
            for (int round = 1; round <= rounds; round++) {
                for (String shadowPercent : List.of("0", "100")) {
                    try (ServerProcess gateway = ServerProcess.gateway(List.of(), jars.gateway,
                            out.resolve("gateway-" + round + "-" + shadowPercent + ".log"),
                            "--stable", "127.0.0.1:" + stable.port, "--canary", "127.0.0.1:" + canary.port,
                            "--canary-weight", "0", "--shadow-percent", shadowPercent);
                         GrpcPredictClient client = new GrpcPredictClient("127.0.0.1:" + gateway.port, "sentiment", "",
                                 Map.of(), 10_000)) {
                        RunResult result = new LoadRun(client, new OpenLoop(rate, NanoClock.SYSTEM), Corpus.builtIn(), 1)
                                .run("shadow " + shadowPercent, Duration.ofSeconds(warmupSeconds),
                                        Duration.ofSeconds(seconds), new PrintStream(new ByteArrayOutputStream()));
                        if (result.errors() > 0) {
                            throw new IllegalStateException("errors with shadowing at " + shadowPercent + "%: "
                                    + result.outcomes());
                        }
                        Scrape scrape = Scrape.of(gateway.port);
                        double p50 = result.latencyMillis().get("p50");
                        (shadowPercent.equals("0") ? off : on).add(p50);
                        String row = String.format(Locale.ROOT, "| %d | %s%% | %.0f | %.2f | %.2f | %.0f | %.0f |", round,
                                shadowPercent, result.callsPerSecond(), p50, result.latencyMillis().get("p99"),
                                scrape.sum("inference_shadow_comparisons_total"), scrape.sum("inference_shadow_skipped_total"));
                        rows.add(row);
                        System.out.println(row);
                    }
                }
            }
        }
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "Primary calls at %.0f/s to stable through the gateway (gRPC, one text each); the canary (version 1"
                        + " too) answers shadows only, %d ms late:%n%n", rate, canaryLatencyMillis));
        table.append("| round | shadowing | calls/s | p50 ms | p99 ms | texts compared | shadows skipped |\n");
        table.append("|---|---|---|---|---|---|---|\n");
        rows.forEach(row -> table.append(row).append('\n'));
        double medianOff = Median.of(off);
        double medianOn = Median.of(on);
        table.append(String.format(Locale.ROOT, "%nMedian p50: %.2f ms off, %.2f ms at 100%%; difference %+.2f ms.%n",
                medianOff, medianOn, medianOn - medianOff));
        System.out.println();
        System.out.println(table);
        Files.writeString(out.resolve("results.md"), table);
        return 0;
    }
}
