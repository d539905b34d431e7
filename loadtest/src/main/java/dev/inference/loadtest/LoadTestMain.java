package dev.inference.loadtest;

import dev.inference.loadtest.client.GrpcPredictClient;
import dev.inference.loadtest.client.OpenInferenceGrpcClient;
import dev.inference.loadtest.client.OpenInferenceRestClient;
import dev.inference.loadtest.client.PredictClient;
import dev.inference.loadtest.client.RestPredictClient;
import dev.inference.loadtest.report.Reports;
import dev.inference.loadtest.schedule.ClosedLoop;
import dev.inference.loadtest.schedule.LoadPattern;
import dev.inference.loadtest.schedule.NanoClock;
import dev.inference.loadtest.schedule.OpenLoop;
import dev.inference.loadtest.stats.RunResult;
import dev.inference.loadtest.stats.Slo;
import dev.inference.platform.GoDuration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code java -jar loadtest.jar grpc|rest --target ... (--rate R | --concurrency C)}: drives load,
 * prints a progress line a second, writes result.json and report.html, and exits 1 when an SLO
 * given with {@code --slo} is broken (2 for bad flags).
 */
@Command(name = "loadtest", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Load generator for the inference platform: inference.v1 Predict or Open Inference Protocol v2.")
public final class LoadTestMain implements Callable<Integer> {

    enum Transport { grpc, rest }

    enum Api { v1, v2 }

    @Parameters(index = "0", description = "grpc or rest")
    Transport transport;

    @Option(names = "--target", required = true,
            description = "gRPC: host:port (server or gateway); REST: the gateway's base URL, e.g. http://127.0.0.1:8080")
    String target;

    @Option(names = "--api", defaultValue = "v1",
            description = "v1 (inference.v1 Predict) or v2 (Open Inference Protocol ModelInfer) (default: ${DEFAULT-VALUE}).")
    Api api;

    @Option(names = "--raw", description = "v2 over gRPC: the texts as raw_input_contents of shape [N, 1], as tritonclient"
            + " sends them, instead of typed bytes_contents.")
    boolean raw;

    @Option(names = "--model", defaultValue = "sentiment", description = "Model (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--version", defaultValue = "", description = "Model version; empty for the default.")
    String modelVersion;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Load load;

    static final class Load {
        @Option(names = "--rate", description = "Open loop: calls per second, latency from the intended send time.")
        Double rate;

        @Option(names = "--concurrency", description = "Closed loop: callers, each waiting for its previous answer.")
        Integer concurrency;
    }

    @Option(names = "--duration", defaultValue = "PT30S", converter = DurationConverter.class,
            description = "Measured phase, e.g. 30s, 2m (default: 30s).")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "PT5S", converter = DurationConverter.class,
            description = "Unrecorded warm-up (default: 5s).")
    Duration warmup;

    @Option(names = "--instances-per-request", defaultValue = "1", description = "Texts per call (default: ${DEFAULT-VALUE}).")
    int instancesPerRequest;

    @Option(names = "--corpus", description = "File with one text per line (default: built-in reviews).")
    Path corpus;

    @Option(names = "--mixed-lengths", description = "The built-in reviews with every third five reviews long:"
            + " short and long texts together, where padding costs most.")
    boolean mixedLengths;

    @Option(names = "--header", description = "k=v header sent with every call, e.g. x-model-track=canary.")
    Map<String, String> headers = new LinkedHashMap<>();

    @Option(names = "--timeout-ms", defaultValue = "10000", description = "Per-call deadline (default: ${DEFAULT-VALUE}).")
    long timeoutMillis;

    @Option(names = "--slo", description = "Objectives that make the exit code 1 when broken, e.g. \"p99<300ms,errors<1%%\".")
    String slo;

    @Option(names = "--out", defaultValue = "loadtest-results", description = "Directory for result.json and report.html.")
    Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new LoadTestMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Slo objectives = slo == null ? new Slo(List.of()) : Slo.parse(slo);
        LoadPattern pattern = load.rate != null ? new OpenLoop(load.rate, NanoClock.SYSTEM)
                : new ClosedLoop(load.concurrency, NanoClock.SYSTEM);
        if (mixedLengths && corpus != null) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--mixed-lengths and --corpus exclude each other");
        }
        Corpus texts = corpus != null ? Corpus.read(corpus) : mixedLengths ? Corpus.mixedLengths() : Corpus.builtIn();
        RunResult result;
        if (raw && (api != Api.v2 || transport != Transport.grpc)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--raw is for --api v2 over grpc");
        }
        try (PredictClient client = client()) {
            System.out.printf("%s %s %s%s, %s, %d text(s) per call, warm-up %ds, measuring %ds%n", transport, api,
                    target, raw ? " (raw BYTES)" : "", pattern.describe(), instancesPerRequest, warmup.toSeconds(),
                    duration.toSeconds());
            result = new LoadRun(client, pattern, texts, instancesPerRequest)
                    .run(transport + " " + target, warmup, duration, System.out);
        }
        Reports.write(result, out);
        System.out.printf(Locale.ROOT, "%n%d calls in %.1f s: %.1f calls/s, %.1f texts/s; errors %s%n",
                result.calls(), result.seconds(), result.callsPerSecond(), result.instancesPerSecond(),
                result.outcomes());
        System.out.println("latency (ms): " + result.latencyMillis());
        System.out.println("wrote " + out.resolve("result.json") + " and " + out.resolve("report.html"));
        List<String> violations = objectives.violations(result);
        violations.forEach(violation -> System.out.println("SLO " + violation));
        return violations.isEmpty() ? 0 : 1;
    }

    private PredictClient client() {
        return switch (api) {
            case v1 -> transport == Transport.grpc
                    ? new GrpcPredictClient(target, model, modelVersion, headers, timeoutMillis)
                    : new RestPredictClient(target, model, modelVersion, headers, timeoutMillis);
            case v2 -> transport == Transport.grpc
                    ? new OpenInferenceGrpcClient(target, model, modelVersion, headers, timeoutMillis, raw)
                    : new OpenInferenceRestClient(target, model, modelVersion, headers, timeoutMillis);
        };
    }

    /** Reads 30s, 2m, 500ms, 1m30s (Go's form) or an ISO-8601 duration. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String text = value.strip();
            try {
                return text.toLowerCase(Locale.ROOT).startsWith("p") ? Duration.parse(text.toUpperCase(Locale.ROOT))
                        : GoDuration.parse(text);
            } catch (RuntimeException e) {
                throw new CommandLine.TypeConversionException("expected e.g. 30s, 2m, 500ms or PT30S: " + value);
            }
        }
    }
}
