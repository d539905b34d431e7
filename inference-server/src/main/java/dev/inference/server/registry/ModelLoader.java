package dev.inference.server.registry;

import dev.inference.server.batching.BatchingSettings;
import dev.inference.server.batching.DynamicBatcher;
import dev.inference.server.metrics.InferenceMetrics;
import dev.inference.server.metrics.VersionMetrics;
import dev.inference.server.model.FileDigests;
import dev.inference.server.model.Layout;
import dev.inference.server.model.ModelRepository;
import dev.inference.server.model.TextClassifier;
import dev.inference.server.model.TextEmbedding;
import dev.inference.server.model.TextModel;
import dev.inference.server.model.VersionSettings;
import dev.inference.server.tensor.TensorModel;
import dev.inference.server.tensor.TensorRow;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Loads and warms up model versions of every task. */
public final class ModelLoader {

    private static final Logger log = LoggerFactory.getLogger(ModelLoader.class);
    private static final long WARM_UP_TIMEOUT_SECONDS = 120;

    private final BatchingSettings batching;
    private final int intraOpThreads;
    private final InferenceMetrics metrics;

    public ModelLoader(BatchingSettings batching, int intraOpThreads, InferenceMetrics metrics) {
        this.batching = batching;
        this.intraOpThreads = intraOpThreads;
        this.metrics = metrics;
    }

    /**
     * Loads the versions in parallel; returns once every one has loaded and each of its workers
     * has run a warm-up batch. When one fails, those that loaded are released again.
     */
    List<ServedVersion> loadAll(List<ModelRepository.VersionLocation> locations) throws IOException {
        if (locations.isEmpty()) {
            return List.of();
        }
        int threads = Math.min(locations.size(), Runtime.getRuntime().availableProcessors());
        ExecutorService loaders = Executors.newFixedThreadPool(threads);
        List<Future<ServedVersion>> loading = new ArrayList<>();
        try {
            for (ModelRepository.VersionLocation location : locations) {
                loading.add(loaders.submit(() -> load(location)));
            }
            List<ServedVersion> versions = new ArrayList<>();
            for (Future<ServedVersion> version : loading) {
                versions.add(version.get());
            }
            return versions;
        } catch (ExecutionException e) {
            loading.forEach(version -> closeQuietly(version));
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            loading.forEach(version -> closeQuietly(version));
            throw new IOException("interrupted while loading models", e);
        } finally {
            loaders.shutdownNow();
        }
    }

    /** Loads one version; returns once each of its workers has run a warm-up batch. */
    ServedVersion load(ModelRepository.VersionLocation location) throws IOException, InterruptedException {
        long start = System.nanoTime();
        FileDigests.verify(location.directory());
        VersionSettings settings = VersionSettings.read(location.directory());
        ServedVersion version;
        try {
            version = location.layout() == Layout.TENSOR ? loadTensorModel(location, settings)
                    : served(settings, TextModel.load(location.layout(), location.model(), location.version(),
                            location.directory(), settings, intraOpThreads));
        } catch (RuntimeException e) {
            // An ONNX Runtime or tokenizer error on a malformed file: the folder is at fault, not the server.
            throw new IOException(location.model() + "/" + location.version() + " failed to load from "
                    + location.directory() + ": " + e.getMessage(), e);
        }
        if (!version.batcher().start().awaitWorkers(WARM_UP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            version.close();
            throw new IOException(location.model() + "/" + location.version() + " did not start its workers within "
                    + WARM_UP_TIMEOUT_SECONDS + " s (the log says why)");
        }
        log.info("loaded {}/{} ({}) from {} in {} ms ({} workers, max batch {})", location.model(),
                location.version(), location.task().id(), location.directory(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), version.batcher().settings().workers(),
                version.batcher().settings().maxBatchSize());
        return version;
    }

    private ServedVersion served(VersionSettings settings, TextModel<?> text) {
        BatchingSettings batchingSettings = batchingFor(settings);
        if (text.maxBatchSize() != null) {
            batchingSettings = batchingSettings.capBatchSize(text.maxBatchSize());
        }
        List<String> labels = text instanceof TextClassifier classifier ? classifier.labels() : List.of();
        VersionMetrics versionMetrics = metrics.forVersion(text.model(), text.version(), labels);
        if (text instanceof TextClassifier classifier) {
            return new ServedVersion.ClassifierVersion(classifier, new DynamicBatcher<>(text.toString(), classifier,
                    text::estimatedTokens, batchingSettings, versionMetrics), versionMetrics);
        }
        TextEmbedding embedding = (TextEmbedding) text;
        return new ServedVersion.EmbeddingVersion(embedding, new DynamicBatcher<>(text.toString(), embedding,
                text::estimatedTokens, batchingSettings, versionMetrics), versionMetrics);
    }

    private ServedVersion loadTensorModel(ModelRepository.VersionLocation location, VersionSettings settings)
            throws IOException {
        TensorModel model = TensorModel.load(location.model(), location.version(), location.directory(),
                settings.intraOpThreads(intraOpThreads));
        boolean batched = model.batchable() && !Integer.valueOf(0).equals(settings.maxBatchSize());
        if (!model.batchable() && settings.maxBatchSize() != null && settings.maxBatchSize() > 0) {
            model.close();
            throw new IOException(location.directory().resolve(VersionSettings.FILE_NAME) + " asks for batches of "
                    + settings.maxBatchSize() + ", but not every input and output of the graph has an open first"
                    + " dimension to stack calls along; set maxBatchSize to 0");
        }
        VersionMetrics versionMetrics = metrics.forVersion(location.model(), location.version(), List.of());
        // An unbatched call is one unit of the batcher: it runs alone.
        BatchingSettings batchingSettings = batched ? batchingFor(settings) : batchingFor(settings).capBatchSize(1);
        return new ServedVersion.TensorVersion(model, new DynamicBatcher<>(model.toString(), model, row -> 1,
                TensorRow::batchKey, batchingSettings, versionMetrics), versionMetrics, batched);
    }

    /** The server's batching, with what the version's settings override. */
    private BatchingSettings batchingFor(VersionSettings settings) {
        BatchingSettings own = settings.workers() == null ? batching : batching.withWorkers(settings.workers());
        return settings.maxBatchSize() == null ? own : own.capBatchSize(Math.max(1, settings.maxBatchSize()));
    }

    private static void closeQuietly(Future<ServedVersion> loading) {
        try {
            if (loading.isDone() && !loading.isCancelled()) {
                loading.get().close();
            } else {
                loading.cancel(true);
            }
        } catch (ExecutionException | InterruptedException | RuntimeException ignored) {
            // Failed to load in the first place: nothing to release.
        }
    }
}
