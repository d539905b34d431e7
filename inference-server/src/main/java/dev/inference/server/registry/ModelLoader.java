package dev.inference.server.registry;

import dev.inference.server.batching.BatchingSettings;
import dev.inference.server.batching.DynamicBatcher;
import dev.inference.server.metrics.InferenceMetrics;
import dev.inference.server.metrics.VersionMetrics;
import dev.inference.server.model.Classification;
import dev.inference.server.model.ModelRepository;
import dev.inference.server.model.TextClassifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Loads and warms up every version of a model repository, in parallel. */
public final class ModelLoader {

    private static final Logger log = LoggerFactory.getLogger(ModelLoader.class);
    private static final long WARM_UP_TIMEOUT_SECONDS = 120;

    private final BatchingSettings batching;
    private final int intraOpThreads;
    private final InferenceMetrics metrics;
    private final BooleanSupplier serving;

    /**
     * @param serving whether the server serves; a version's readiness metric follows it
     */
    public ModelLoader(BatchingSettings batching, int intraOpThreads, InferenceMetrics metrics, BooleanSupplier serving) {
        this.batching = batching;
        this.intraOpThreads = intraOpThreads;
        this.metrics = metrics;
        this.serving = serving;
    }

    /** Returns once every version has loaded and each of its workers has run a warm-up batch. */
    public ModelRegistry load(Path repository, Map<String, String> defaultVersions) throws IOException {
        List<ModelRepository.VersionLocation> locations = ModelRepository.scan(repository);
        int threads = Math.min(locations.size(), Runtime.getRuntime().availableProcessors());
        ExecutorService loaders = Executors.newFixedThreadPool(threads);
        List<Future<ServedVersion>> loading = new ArrayList<>();
        try {
            for (ModelRepository.VersionLocation location : locations) {
                loading.add(loaders.submit(() -> loadVersion(location)));
            }
            List<ServedVersion> versions = new ArrayList<>();
            for (Future<ServedVersion> version : loading) {
                versions.add(version.get());
            }
            ModelRegistry registry = new ModelRegistry(versions, defaultVersions);
            for (ModelRegistry.ServedModel model : registry.models()) {
                List<DynamicBatcher<String, Classification>> batchers =
                        model.versions().values().stream().map(ServedVersion::batcher).toList();
                metrics.registerQueue(model.name(), () -> batchers.stream().mapToInt(DynamicBatcher::queueDepth).sum(),
                        batchers.size() * batching.queueCapacity());
                log.info("model {}: versions {}, default {}", model.name(), model.versions().keySet(),
                        model.defaultVersion());
            }
            return registry;
        } catch (ExecutionException e) {
            loading.forEach(version -> closeQuietly(version));
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading models", e);
        } finally {
            loaders.shutdownNow();
        }
    }

    private ServedVersion loadVersion(ModelRepository.VersionLocation location) throws IOException, InterruptedException {
        long start = System.nanoTime();
        TextClassifier classifier =
                TextClassifier.load(location.model(), location.version(), location.directory(), intraOpThreads);
        VersionMetrics versionMetrics = metrics.forVersion(location.model(), location.version(), classifier.labels());
        Integer versionMax = classifier.config().maxBatchSize();
        BatchingSettings settings = versionMax == null ? batching : batching.capBatchSize(versionMax);
        DynamicBatcher<String, Classification> batcher = new DynamicBatcher<>(classifier.toString(), classifier,
                classifier::estimatedTokens, settings, versionMetrics);
        if (!batcher.awaitWorkers(WARM_UP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            batcher.close();
            classifier.close();
            throw new IOException(classifier + " did not start its workers within " + WARM_UP_TIMEOUT_SECONDS
                    + " s (the log says why)");
        }
        metrics.registerReadiness(location.model(), location.version(), serving);
        log.info("loaded {} from {} in {} ms ({} workers, max batch {}, labels {})", classifier, location.directory(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), settings.workers(), settings.maxBatchSize(),
                classifier.labels());
        return new ServedVersion(classifier, batcher, versionMetrics);
    }

    private static void closeQuietly(Future<ServedVersion> loading) {
        try {
            if (loading.isDone() && !loading.isCancelled()) {
                ServedVersion version = loading.get();
                version.batcher().close();
                version.classifier().close();
            } else {
                loading.cancel(true);
            }
        } catch (ExecutionException | InterruptedException | RuntimeException ignored) {
            // Failed to load in the first place: nothing to release.
        }
    }
}
