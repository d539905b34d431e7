package dev.inference.loadtest.bench;

import dev.inference.api.v1.InferenceServiceGrpc;
import dev.inference.api.v1.PredictRequest;
import dev.inference.loadtest.stats.Median;
import dev.inference.platform.ManifestVersion;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.ServerLiveRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Where a Predict call's time goes at concurrency 1, from one connection: the client's round trip
 * of Predict and of an empty call (ServerLive: the same transport, interceptors and event loop,
 * no model), beside the server's own means over the same Predict calls from its metrics, the
 * request (handler to answer handed back, batching and hand-offs included) and the forward pass.
 * Rounds alternate the two kinds of call, so that the machine's drift touches both alike.
 * <pre>java -cp loadtest/target/loadtest.jar dev.inference.loadtest.bench.LatencyFloor</pre>
 */
@Command(name = "latency-floor", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        description = "Decomposes a Predict call's latency at concurrency 1.")
public final class LatencyFloor implements Callable<Integer> {

    @Mixin
    PlatformJars jars;

    @Option(names = "--version", defaultValue = "1", description = "Model version (default: ${DEFAULT-VALUE}).")
    String version;

    @Option(names = "--max-batch-size", defaultValue = "1", description = "The server's (default: ${DEFAULT-VALUE}).")
    int maxBatchSize;

    @Option(names = "--warmup", defaultValue = "120",
            description = "Seconds of both calls before the first round; the JIT needs 90 s or more (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--calls", defaultValue = "500", description = "Calls of each kind per round (default: ${DEFAULT-VALUE}).")
    int calls;

    @Option(names = "--rounds", defaultValue = "5", description = "Rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--out", defaultValue = "loadtest/target/latency-floor")
    Path out;

    private static final String TEXT = "The service was friendly and the food arrived quickly";

    public static void main(String[] args) {
        System.exit(new CommandLine(new LatencyFloor()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        Pinning pinning = Pinning.apart();
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "Version %s, max batch %d, %s; %d calls of each kind per round after %d s of warm-up. ms.%n%n"
                        + "| round | empty call p50 | Predict p50 | Predict mean | server: request mean | server: forward pass mean"
                        + " | server path (request − forward) | outside the server (Predict − request) |%n"
                        + "|---|---|---|---|---|---|---|---|%n",
                version, maxBatchSize, pinning.describe(), calls, warmupSeconds));
        try (ServerProcess server = ServerProcess.inferenceServer(pinning.platform(), jars.server, out.resolve("server.log"),
                "--default-version", "sentiment=" + version, "--max-batch-size", String.valueOf(maxBatchSize))) {
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port).usePlaintext().build();
            try {
                InferenceServiceGrpc.InferenceServiceBlockingStub predict = InferenceServiceGrpc.newBlockingStub(channel);
                GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub empty =
                        GRPCInferenceServiceGrpc.newBlockingStub(channel);
                PredictRequest request = PredictRequest.newBuilder().setModel("sentiment").setVersion(version)
                        .addInstances(TEXT).build();
                Runnable predictCall = () -> predict.predict(request);
                Runnable emptyCall = () -> empty.serverLive(ServerLiveRequest.getDefaultInstance());
                long warmEnd = System.nanoTime() + warmupSeconds * 1_000_000_000L;
                while (System.nanoTime() < warmEnd) {
                    predictCall.run();
                    emptyCall.run();
                }
                for (int round = 1; round <= rounds; round++) {
                    List<Double> emptyMillis = time(emptyCall);
                    ServerMeans before = ServerMeans.scrape(server.healthPort, version);
                    List<Double> predictMillis = time(predictCall);
                    ServerMeans during = ServerMeans.scrape(server.healthPort, version).since(before);
                    double predictMean = predictMillis.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
                    table.append(String.format(Locale.ROOT, "| %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |%n",
                            round, Median.of(emptyMillis), Median.of(predictMillis), predictMean, during.requestMillis(),
                            during.forwardMillis(), during.requestMillis() - during.forwardMillis(),
                            predictMean - during.requestMillis()));
                }
            } finally {
                channel.shutdownNow();
            }
        }
        System.out.println(table);
        Files.writeString(out.resolve("results.md"), table);
        return 0;
    }

    private List<Double> time(Runnable call) {
        List<Double> millis = new ArrayList<>(calls);
        for (int i = 0; i < calls; i++) {
            long start = System.nanoTime();
            call.run();
            millis.add((System.nanoTime() - start) / 1e6);
        }
        return millis;
    }

    /** Sums and counts of the server's request and forward-pass histograms for one version. */
    private record ServerMeans(double requestSeconds, double requests, double forwardSeconds, double forwards) {

        static ServerMeans scrape(int managementPort, String version) throws Exception {
            Scrape scrape = Scrape.of(managementPort).with("model_version=\"" + version + "\"");
            return new ServerMeans(scrape.sum("inference_request_duration_seconds_sum"),
                    scrape.sum("inference_request_duration_seconds_count"),
                    scrape.sum("inference_model_duration_seconds_sum"), scrape.sum("inference_model_duration_seconds_count"));
        }

        ServerMeans since(ServerMeans before) {
            return new ServerMeans(requestSeconds - before.requestSeconds, requests - before.requests,
                    forwardSeconds - before.forwardSeconds, forwards - before.forwards);
        }

        double requestMillis() {
            return requestSeconds / requests * 1000;
        }

        double forwardMillis() {
            return forwardSeconds / forwards * 1000;
        }
    }
}
