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
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What serving costs a sentence-transformers model (all-MiniLM-L6-v2, FP32, version 1 of the default
 * repository): texts per second and CPU per text of the server on one core, called over the Open
 * Inference Protocol one text per call, against, in the same run, the model in-process with the
 * platform's pipeline (tokenizer, ONNX Runtime, pooling, normalisation) one text per pass and in
 * batches of the server's maximum, and with ONNX Runtime's token vectors alone (not pooled) in such
 * batches; on the short reviews and on the mixed-length corpus, rounds interleaved. The raw model's
 * best is the better of its two batch sizes: batches of 8 texts of any length pad the short ones to
 * the longest, which the server's padding bound avoids.
 * <pre>java -cp loadtest/target/loadtest.jar dev.inference.loadtest.bench.EmbeddingBenchmark</pre>
 */
@Command(name = "embedding-benchmark", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        description = "Measures an embedding model served over the Open Inference Protocol against the raw model.")
public final class EmbeddingBenchmark implements Callable<Integer> {

    private static final String MODEL = "all-minilm-l6-v2";
    private static final int MAX_BATCH = 8;

    @Mixin
    PlatformJars jars;

    @Option(names = "--concurrency", defaultValue = "16", description = "Callers (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--seconds", defaultValue = "20", description = "Measured seconds per run (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup", defaultValue = "20", description = "Seconds of serving before the first round (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--rounds", defaultValue = "3", description = "Interleaved rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--out", defaultValue = "loadtest/target/embedding-bench")
    Path out;

    public static void main(String[] args) {
        System.exit(new CommandLine(new EmbeddingBenchmark()).execute(args));
    }

    private record Row(double textsPerSecond, double cpuMillisPerText) {}

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        Path versionDir = jars.server.toAbsolutePath().getParent().resolve("model-repository").resolve(MODEL).resolve("1");
        Path repository = out.resolve("repository");
        if (!Files.exists(repository.resolve(MODEL).resolve("1"))) {
            Files.createDirectories(repository.resolve(MODEL));
            Files.createSymbolicLink(repository.resolve(MODEL).resolve("1"), versionDir);
        }
        Map<String, Corpus> corpora = new LinkedHashMap<>();
        corpora.put("short reviews", Corpus.builtIn());
        corpora.put("mixed lengths", Corpus.mixedLengths());
        Pinning pinning = Pinning.apart();
        RawModel pipeline = new RawModel(pinning.platform(), jars.server, versionDir, out.resolve("raw-model.log"));
        List<Map.Entry<String, Map.Entry<RawModel, Integer>>> raws = List.of(
                Map.entry("raw pipeline, 1 text per pass", Map.entry(pipeline, 1)),
                Map.entry("raw pipeline, batches of " + MAX_BATCH, Map.entry(pipeline, MAX_BATCH)),
                Map.entry("raw graph only, unpooled, batches of " + MAX_BATCH, Map.entry(
                        new RawModel(pinning.platform(), jars.server, versionDir, out.resolve("raw-model.log"), "--unpooled"),
                        MAX_BATCH)));
        Map<String, List<Row>> rows = new LinkedHashMap<>();
        try (ServerProcess server = ServerProcess.inferenceServer(pinning.platform(), jars.server, out.resolve("server.log"),
                "--model-repository", repository.toString(), "--max-batch-size", String.valueOf(MAX_BATCH))) {
            String target = "127.0.0.1:" + server.port;
            for (Corpus corpus : corpora.values()) {
                try (PredictClient client = new OpenInferenceGrpcClient(target, MODEL, "", Map.of(), 60_000, true)) {
                    load(client, corpus).run("warm-up", Duration.ofSeconds(warmupSeconds), Duration.ZERO, quiet());
                }
            }
            for (int round = 1; round <= rounds; round++) {
                for (Map.Entry<String, Corpus> corpus : corpora.entrySet()) {
                    Path texts = RawModel.writeCorpus(corpus.getValue().texts(), out.resolve("corpus.txt"));
                    try (PredictClient client = new OpenInferenceGrpcClient(target, MODEL, "", Map.of(), 60_000, true)) {
                        Scrape before = Scrape.of(server.healthPort);
                        double cpuBefore = server.cpuSeconds();
                        RunResult result = load(client, corpus.getValue()).run("server", Duration.ofSeconds(2),
                                Duration.ofSeconds(seconds), quiet());
                        double cpu = server.cpuSeconds() - cpuBefore;
                        Scrape after = Scrape.of(server.healthPort);
                        System.out.printf(Locale.ROOT, "round %d %-15s the server's mean batch: %.2f texts%n", round,
                                corpus.getKey(), (after.sum("inference_batch_size_sum") - before.sum("inference_batch_size_sum"))
                                        / (after.sum("inference_batch_size_count") - before.sum("inference_batch_size_count")));
                        if (result.errors() > 0) {
                            throw new IllegalStateException("the server had errors: " + result.outcomes());
                        }
                        double measuredShare = (double) seconds / (seconds + 2);
                        record(rows, round, corpus.getKey(), "server, ModelInfer raw, 1 text per call",
                                new Row(result.callsPerSecond(), cpu * measuredShare * 1e3 / result.calls()));
                    }
                    for (Map.Entry<String, Map.Entry<RawModel, Integer>> raw : raws) {
                        RawModel.Measurement measured = raw.getValue().getKey().measure(texts, raw.getValue().getValue(),
                                Duration.ofSeconds(5), Duration.ofSeconds(seconds));
                        record(rows, round, corpus.getKey(), raw.getKey(),
                                new Row(measured.result().callsPerSecond(), measured.cpuPerText() * 1e3));
                    }
                }
            }
        }
        String table = table(rows, pinning);
        System.out.println();
        System.out.println(table);
        Files.writeString(out.resolve("results.md"), table);
        return 0;
    }

    private static void record(Map<String, List<Row>> rows, int round, String corpus, String kind, Row row) {
        rows.computeIfAbsent(corpus + " | " + kind, key -> new ArrayList<>()).add(row);
        System.out.printf(Locale.ROOT, "round %d %-15s %-42s %7.1f texts/s %6.2f CPU ms/text%n", round, corpus, kind,
                row.textsPerSecond(), row.cpuMillisPerText());
    }

    private LoadRun load(PredictClient client, Corpus corpus) {
        return new LoadRun(client, new ClosedLoop(concurrency, NanoClock.SYSTEM), corpus, 1);
    }

    private String table(Map<String, List<Row>> rows, Pinning pinning) {
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT, "Concurrency %d, %s, %d s per run;"
                + " medians of %d interleaved rounds:%n%n", concurrency, pinning.describe(), seconds, rounds));
        table.append("| corpus | kind | texts/s | CPU ms per text |\n|---|---|---|---|\n");
        rows.forEach((key, values) -> table.append(String.format(Locale.ROOT, "| %s | %.1f | %.2f |%n", key,
                Median.of(values.stream().map(Row::textsPerSecond).toList()),
                Median.of(values.stream().map(Row::cpuMillisPerText).toList()))));
        table.append("\nPer round, server ÷ the raw pipeline's better batch size (CPU per text), and the raw"
                + " pipeline ÷ ONNX Runtime's output alone (both in batches of " + MAX_BATCH + "):\n\n");
        List<String> keys = new ArrayList<>(rows.keySet());
        for (int corpus = 0; corpus < keys.size(); corpus += 4) {
            List<Row> server = rows.get(keys.get(corpus));
            List<Row> single = rows.get(keys.get(corpus + 1));
            List<Row> batched = rows.get(keys.get(corpus + 2));
            List<Row> graph = rows.get(keys.get(corpus + 3));
            List<String> serving = new ArrayList<>();
            List<String> pooling = new ArrayList<>();
            for (int round = 0; round < server.size(); round++) {
                double best = Math.min(single.get(round).cpuMillisPerText(), batched.get(round).cpuMillisPerText());
                serving.add(String.format(Locale.ROOT, "%.3f", server.get(round).cpuMillisPerText() / best));
                pooling.add(String.format(Locale.ROOT, "%.3f", batched.get(round).cpuMillisPerText()
                        / graph.get(round).cpuMillisPerText()));
            }
            table.append(String.format(Locale.ROOT, "- %s: server ÷ raw pipeline %s; pipeline ÷ graph only %s%n",
                    keys.get(corpus).split(" \\| ")[0], String.join(", ", serving), String.join(", ", pooling)));
        }
        return table.toString();
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream());
    }
}
