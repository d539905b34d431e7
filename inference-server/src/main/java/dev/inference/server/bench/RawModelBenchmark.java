package dev.inference.server.bench;

import dev.inference.api.tensors.Datatype;
import dev.inference.platform.ManifestVersion;
import dev.inference.server.DjlOffline;
import dev.inference.server.batching.BatchModel;
import dev.inference.server.batching.BatchWorker;
import dev.inference.server.model.HuggingFaceExport;
import dev.inference.server.model.ModelRepository;
import dev.inference.server.model.TextEncoder;
import dev.inference.server.model.TextOutput;
import dev.inference.server.model.Layout;
import dev.inference.server.model.TextModel;
import dev.inference.server.model.VersionSettings;
import dev.inference.server.tensor.TensorData;
import dev.inference.server.tensor.TensorModel;
import dev.inference.server.tensor.TensorRequest;
import dev.inference.server.tensor.TensorRow;
import dev.inference.server.tensor.TensorSpec;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The limit of this machine, in a JVM of its own: the model's workers called directly, no
 * network, no queue, one worker per thread as the server has; a text classifier's texts, or a
 * tensor model's rows (one per text of the corpus). The load generator's benchmark
 * starts it from the server's jar, so its own jar needs no model runtime, and reads the one line
 * it prints:
 * <pre>texts=… seconds=… cpu_seconds=… p50_ms=… p90_ms=… p99_ms=… p99.9_ms=… max_ms=…</pre>
 * Latency is that of one batch.
 */
@Command(name = "raw-model-benchmark", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        description = "Measures a model version's forward passes in-process, for the benchmark's baseline.")
public final class RawModelBenchmark implements Callable<Integer> {

    @Option(names = "--version-dir", required = true, description = "The model version's folder.")
    Path versionDir;

    @Option(names = "--corpus", required = true, description = "Texts, one per line, taken in turn.")
    Path corpus;

    @Option(names = "--threads", defaultValue = "1", description = "Worker threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--batch-size", defaultValue = "1", description = "Texts per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--unpooled", description = "A sentence-transformers model's graph and tokenizer only: its token"
            + " vectors copied out of ONNX Runtime, not pooled.")
    boolean unpooled;

    @Option(names = "--warmup-seconds", defaultValue = "10", description = "Unmeasured run first (default: ${DEFAULT-VALUE}).")
    long warmupSeconds;

    @Option(names = "--seconds", defaultValue = "20", description = "Measured run (default: ${DEFAULT-VALUE}).")
    long seconds;

    public static void main(String[] args) {
        DjlOffline.enforce();
        System.exit(new CommandLine(new RawModelBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<String> texts = Files.readAllLines(corpus).stream().map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        String version = versionDir.getFileName().toString();
        if (ModelRepository.layoutOf(versionDir) == Layout.TENSOR) {
            try (TensorModel model = TensorModel.load("model", version, versionDir, 1)) {
                measure(model, rows(model, texts));
            }
        } else if (unpooled) {
            HuggingFaceExport.SentenceTransformers export = HuggingFaceExport.sentenceTransformers(versionDir, null);
            try (TextEncoder encoder = TextEncoder.load(versionDir, export.maxSequenceLength(),
                    outputs -> new TextOutput.Unpooled(export.outputFor(outputs, versionDir).output()), 1)) {
                measure(() -> {
                    var predictor = encoder.newPredictor();
                    return new BatchWorker<String, Object>() {
                        @Override
                        public List<Object> run(List<String> batch) throws Exception {
                            return List.of(predictor.predict(batch));
                        }

                        @Override
                        public void close() {
                            predictor.close();
                        }
                    };
                }, texts);
            }
        } else {
            Layout layout = ModelRepository.layoutOf(versionDir);
            try (TextModel<?> model = TextModel.load(layout, "model", version, versionDir,
                    VersionSettings.read(versionDir), 1)) {
                measure(model, texts);
            }
        }
        return 0;
    }

    /**
     * A tensor model's inputs, one row per text (open dimensions 1), each element derived from its
     * text as the load generator derives them, so that the two run the same kind of rows.
     */
    private static List<TensorRow> rows(TensorModel model, List<String> texts) {
        List<TensorRow> rows = new ArrayList<>(texts.size());
        for (String text : texts) {
            List<TensorData> inputs = new ArrayList<>();
            for (TensorSpec spec : model.inputs()) {
                inputs.add(spec.example(i -> spec.datatype() == Datatype.BYTES ? text
                        : spec.datatype().sample(text.hashCode() * 31 + i)));
            }
            rows.add(new TensorRow(new TensorRequest(inputs, model.batchable()), 0));
        }
        return rows;
    }

    private <I> void measure(BatchModel<I, ?> model, List<I> inputs) throws Exception {
        runFor(model, inputs, Duration.ofSeconds(warmupSeconds), new ArrayList<>());
        List<Long> latencies = new ArrayList<>();
        double cpuBefore = processCpuSeconds();
        long start = System.nanoTime();
        runFor(model, inputs, Duration.ofSeconds(seconds), latencies);
        double elapsed = (System.nanoTime() - start) / 1e9;
        double cpu = processCpuSeconds() - cpuBefore;
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf(Locale.ROOT, "texts=%d seconds=%.3f cpu_seconds=%.3f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f"
                        + " p99.9_ms=%.3f max_ms=%.3f%n", (long) sorted.length * batchSize, elapsed, cpu,
                millis(sorted, 50), millis(sorted, 90), millis(sorted, 99), millis(sorted, 99.9), millis(sorted, 100));
    }

    private <I> void runFor(BatchModel<I, ?> model, List<I> inputs, Duration duration, List<Long> latencies)
            throws Exception {
        long end = System.nanoTime() + duration.toNanos();
        AtomicInteger cursor = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        List<Exception> failures = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread worker = new Thread(() -> {
                long[] own = new long[1 << 16];
                int count = 0;
                try (BatchWorker<I, ?> running = model.newWorker()) {
                    while (System.nanoTime() < end) {
                        List<I> batch = new ArrayList<>(batchSize);
                        for (int j = 0; j < batchSize; j++) {
                            batch.add(inputs.get(Math.floorMod(cursor.getAndIncrement(), inputs.size())));
                        }
                        long started = System.nanoTime();
                        running.run(batch);
                        if (count == own.length) {
                            own = Arrays.copyOf(own, count * 2);
                        }
                        own[count++] = System.nanoTime() - started;
                    }
                } catch (Exception e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
                synchronized (latencies) {
                    for (int j = 0; j < count; j++) {
                        latencies.add(own[j]);
                    }
                }
            }, "raw-" + i);
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
    }

    private static double millis(long[] sorted, double percentile) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(percentile / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    private static double processCpuSeconds() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime() / 1e9;
    }
}
