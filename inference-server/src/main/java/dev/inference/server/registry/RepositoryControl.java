package dev.inference.server.registry;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import dev.inference.server.batching.DynamicBatcher;
import dev.inference.server.metrics.InferenceMetrics;
import dev.inference.server.model.ModelRepository;
import io.grpc.Status;
import io.grpc.StatusException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which versions of the repository serve, while the server runs, in Triton's model control modes:
 * {@link Mode#NONE} loads every version the policies name at start and never changes;
 * {@link Mode#POLL} also rescans the repository periodically; {@link Mode#EXPLICIT} loads only what
 * it is told ({@link #load}, {@link #unload}). Every change goes through one step,
 * {@link #sync}: a version folder that is new or whose files changed is loaded and warmed up beside
 * what serves, then takes its place ({@link ModelRegistry#put}); one the policy no longer names
 * retires. A folder that fails to load changes nothing that serves; the index says why.
 */
public final class RepositoryControl implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RepositoryControl.class);

    /** Triton's {@code --model-control-mode} values. */
    public enum Mode {
        NONE, POLL, EXPLICIT;

        /** The mode a flag names, in any case. */
        public static Mode parse(String name) {
            for (Mode mode : values()) {
                if (mode.name().equalsIgnoreCase(name)) {
                    return mode;
                }
            }
            throw new IllegalArgumentException("--model-control-mode must be none, poll or explicit, was " + name);
        }
    }

    /** A version's state, as the repository index reports it. */
    public enum State { READY, LOADING, UNLOADING, UNAVAILABLE }

    /** One line of the repository index: a model folder without a version, or a version and its state. */
    public record IndexEntry(String model, String version, State state, String reason) {}

    static final String UNLOADED = "unloaded";

    /** What the control knows of a version: its state, and the files it last loaded or failed on. */
    private record Known(State state, String reason, String files) {}

    private final Path root;
    private final Mode mode;
    private final ModelLoader loader;
    private final InferenceMetrics metrics;
    private final BooleanSupplier serving;
    private final ModelRegistry registry;
    private final Map<String, ConcurrentNavigableMap<String, Known>> known = new ConcurrentHashMap<>();
    private final Set<String> metered = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService poller;

    private RepositoryControl(Path root, Mode mode, ModelLoader loader, InferenceMetrics metrics,
            BooleanSupplier serving, ModelRegistry registry) {
        this.root = root;
        this.mode = mode;
        this.loader = loader;
        this.metrics = metrics;
        this.serving = serving;
        this.registry = registry;
    }

    /**
     * Loads what serves from the start, in parallel: in modes none and poll every version that the
     * models' policies name, in mode explicit the versions of {@code startModels} only.
     *
     * @param serving whether the server serves; each version's readiness metric follows it
     * @throws IOException naming the folder and the reason when a version fails to load: a server
     *     does not start with less than it was given
     */
    public static RepositoryControl load(Path root, Mode mode, Collection<String> startModels,
            Map<String, String> defaultVersions, ModelLoader loader, InferenceMetrics metrics, BooleanSupplier serving)
            throws IOException {
        List<ModelRepository.VersionLocation> locations = new ArrayList<>();
        if (mode == Mode.EXPLICIT) {
            Set<String> onDisk = Set.copyOf(ModelRepository.models(root));
            for (String model : startModels) {
                if (!onDisk.contains(model)) {
                    throw new IOException("--load-model " + model + ": the repository " + root + " has no such model;"
                            + " models: " + onDisk);
                }
                for (Path versionDir : ModelRepository.servingFolders(root.resolve(model))) {
                    locations.add(ModelRepository.locate(model, versionDir));
                }
            }
        } else {
            locations = ModelRepository.scan(root);
        }
        List<ServedVersion> versions = loader.loadAll(locations);
        ModelRegistry registry;
        try {
            registry = new ModelRegistry(versions, defaultVersions);
        } catch (IllegalArgumentException e) {
            versions.forEach(ServedVersion::close);
            throw e;
        }
        RepositoryControl control = new RepositoryControl(root, mode, loader, metrics, serving, registry);
        for (ModelRepository.VersionLocation location : locations) {
            control.served(location.model(), location.version(), null, files(location.directory()));
        }
        for (ModelRegistry.ServedModel model : registry.models()) {
            log.info("model {}: versions {}, default {}", model.name(), model.versions().keySet(), model.defaultVersion());
        }
        return control;
    }

    public ModelRegistry registry() {
        return registry;
    }

    public Mode mode() {
        return mode;
    }

    /** In mode poll, rescans the repository every {@code period}; otherwise nothing. */
    public void startPolling(Duration period) {
        if (mode != Mode.POLL) {
            return;
        }
        poller = Executors.newSingleThreadScheduledExecutor(
                new ThreadFactoryBuilder().setNameFormat("repository-poll").setDaemon(true).build());
        poller.scheduleWithFixedDelay(this::poll, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        log.info("polling {} for model changes every {} s", root, period.toSeconds());
    }

    /** One rescan: every model folder there is, and every model that served and whose folder went. */
    void poll() {
        try {
            Set<String> models = new TreeSet<>(ModelRepository.models(root));
            models.addAll(registry.models().stream().map(ModelRegistry.ServedModel::name).toList());
            for (String model : models) {
                try {
                    sync(model);
                } catch (IOException e) {
                    // sync recorded it in the index and logged it when it was new.
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("could not rescan the model repository {}: {}", root, e.getMessage());
        }
    }

    /**
     * Loads the model's folder as it is now (mode explicit only).
     *
     * @throws StatusException FAILED_PRECONDITION in another mode or when a version fails to load,
     *     NOT_FOUND when the repository has no such model folder
     */
    public void load(String model) throws StatusException {
        requireExplicit("load");
        try {
            // Listing, not resolving the name: a name from a request never leaves the repository.
            List<String> models = ModelRepository.models(root);
            if (!models.contains(model)) {
                throw Status.NOT_FOUND.withDescription("the model repository has no model \"" + model + "\"; models: "
                        + String.join(", ", models)).asException();
            }
            sync(model);
        } catch (IOException e) {
            throw Status.FAILED_PRECONDITION.withDescription(e.getMessage()).asException();
        }
    }

    /**
     * Stops serving every version of the model (mode explicit only).
     *
     * @throws StatusException FAILED_PRECONDITION in another mode, NOT_FOUND when nothing of the model serves
     */
    public synchronized void unload(String model) throws StatusException {
        requireExplicit("unload");
        ModelRegistry.ServedModel served = registry.model(model);
        for (String version : served.versions().keySet()) {
            retire(model, version);
        }
    }

    private void requireExplicit(String action) throws StatusException {
        if (mode != Mode.EXPLICIT) {
            throw Status.FAILED_PRECONDITION.withDescription("cannot " + action + " models: the server runs with"
                    + " --model-control-mode " + mode.name().toLowerCase(java.util.Locale.ROOT)
                    + "; only mode explicit loads and unloads on request").asException();
        }
    }

    /**
     * Brings one model to what its folder says: loads new and changed versions the policy names,
     * retires the versions it no longer names.
     *
     * @throws IOException when the model's settings or a version failed: the first reason; the
     *     other versions were still synced, and what served before a failure still serves
     */
    synchronized void sync(String model) throws IOException {
        Path modelDir = folder(model);
        Map<String, Path> wanted = new LinkedHashMap<>();
        IOException failure = null;
        if (Files.isDirectory(modelDir)) {
            try {
                ModelRepository.servingFolders(modelDir).forEach(dir -> wanted.put(dir.getFileName().toString(), dir));
            } catch (IOException e) {
                // A broken policy is the model's fault, not a reason to unload what serves.
                failed(model, "", e);
                throw e;
            }
        }
        for (Map.Entry<String, Path> version : wanted.entrySet()) {
            try {
                loadIfChanged(model, version.getKey(), version.getValue());
            } catch (IOException e) {
                failure = failure != null ? failure : e;
            }
        }
        ConcurrentNavigableMap<String, Known> versions = known.get(model);
        if (versions != null) {
            for (String version : List.copyOf(versions.keySet())) {
                if (!wanted.containsKey(version)) {
                    if (registry.serves(model, version)) {
                        retire(model, version);
                    } else if (versions.get(version).state() == State.UNAVAILABLE
                            && !UNLOADED.equals(versions.get(version).reason())) {
                        versions.remove(version);
                    }
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void loadIfChanged(String model, String version, Path versionDir) throws IOException {
        String files = files(versionDir);
        Known was = known(model, version);
        boolean serves = registry.serves(model, version);
        boolean failedOnTheseFiles = was != null && was.state() == State.UNAVAILABLE && !UNLOADED.equals(was.reason());
        if (was != null && files.equals(was.files()) && (serves || (failedOnTheseFiles && mode == Mode.POLL))) {
            return; // Serves these files already, or failed on them: a poll waits for the folder to change.
        }
        if (!serves) {
            put(model, version, new Known(State.LOADING, "", files));
        }
        try {
            ServedVersion loaded = loader.load(ModelRepository.locate(model, versionDir));
            registry.put(loaded);
            served(model, version, serves ? "replaced" : "loaded", files);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading " + model + "/" + version, e);
        } catch (IOException | RuntimeException e) {
            IOException failure = e instanceof IOException io ? io
                    : new IOException(model + "/" + version + " failed to load: " + e.getMessage(), e);
            if (serves) {
                // The files that load serve on; the index says the folder's new files did not load.
                put(model, version, new Known(State.READY, "serving the files loaded before; the folder as it is now"
                        + " failed to load: " + failure.getMessage(), files));
                log.warn("{}/{} keeps serving the files it loaded before: {}", model, version, failure.getMessage());
                throw failure;
            }
            failed(model, version, failure);
            put(model, version, new Known(State.UNAVAILABLE, failure.getMessage(), files));
            throw failure;
        }
    }

    private void retire(String model, String version) {
        Known was = known(model, version);
        put(model, version, new Known(State.UNLOADING, "", was != null ? was.files() : ""));
        registry.remove(model, version);
        put(model, version, new Known(State.UNAVAILABLE, UNLOADED, was != null ? was.files() : ""));
        log.info("unloaded {}/{}", model, version);
    }

    /** Records a version that now serves, and meters it the first time its model or it is seen. */
    private void served(String model, String version, String change, String files) {
        put(model, version, new Known(State.READY, "", files));
        if (metered.add(model)) {
            metrics.registerQueue(model, () -> queued(model, DynamicBatcher::queueDepth),
                    () -> queued(model, batcher -> batcher.settings().queueCapacity()));
        }
        if (metered.add(model + "/" + version)) {
            metrics.registerReadiness(model, version, () -> serving.getAsBoolean() && registry.serves(model, version));
        }
        if (change != null) {
            log.info("{} {}/{}; versions now {}", change, model, version, servedVersions(model));
        }
    }

    private int queued(String model, java.util.function.ToIntFunction<DynamicBatcher<?, ?>> measure) {
        try {
            return registry.model(model).versions().values().stream().mapToInt(v -> measure.applyAsInt(v.batcher())).sum();
        } catch (StatusException notServed) {
            return 0;
        }
    }

    private String servedVersions(String model) {
        try {
            return registry.model(model).versions().keySet().toString();
        } catch (StatusException none) {
            return "[]";
        }
    }

    /** Logs a failure once: a poll that finds the same broken folder again stays quiet. */
    private void failed(String model, String version, IOException failure) {
        Known was = known(model, version);
        if (was == null || !failure.getMessage().equals(was.reason())) {
            log.warn("model {}{} did not load: {}", model, version.isEmpty() ? "" : "/" + version, failure.getMessage());
        }
        if (version.isEmpty()) {
            put(model, "", new Known(State.UNAVAILABLE, failure.getMessage(), ""));
        }
    }

    private Known known(String model, String version) {
        Map<String, Known> versions = known.get(model);
        return versions == null ? null : versions.get(version);
    }

    private void put(String model, String version, Known state) {
        ConcurrentNavigableMap<String, Known> versions =
                known.computeIfAbsent(model, name -> new ConcurrentSkipListMap<>(ModelRepository::compareVersions));
        if (!version.isEmpty()) {
            versions.remove("");
        }
        versions.put(version, state);
    }

    /**
     * Every model folder of the repository and every model the server knows of: one line per
     * version it has loaded, tried to load or unloaded; a model folder it never tried, one line
     * without a version.
     *
     * @param readyOnly only the versions that serve
     */
    public List<IndexEntry> index(boolean readyOnly) {
        Set<String> models = new TreeSet<>(known.keySet());
        try {
            models.addAll(ModelRepository.models(root));
        } catch (IOException e) {
            log.warn("could not list the model repository {}: {}", root, e.getMessage());
        }
        List<IndexEntry> index = new ArrayList<>();
        for (String model : models) {
            Map<String, Known> versions = known.getOrDefault(model, new ConcurrentSkipListMap<>());
            if (versions.isEmpty() && !readyOnly) {
                index.add(new IndexEntry(model, "", null, ""));
            }
            versions.forEach((version, state) -> {
                if (!readyOnly || state.state() == State.READY) {
                    index.add(new IndexEntry(model, version, state.state(), state.reason()));
                }
            });
        }
        return index;
    }

    private Path folder(String model) {
        return root.resolve(model).normalize();
    }

    /**
     * What a folder's files are, to see when they change: each file's path, size and modification
     * time. Cheap enough to take every poll; a copy into the folder shows as a change until it ends.
     */
    static String files(Path dir) throws IOException {
        StringBuilder files = new StringBuilder();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path file : walk.sorted().toList()) {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                if (attributes.isRegularFile()) {
                    files.append(dir.relativize(file)).append(' ').append(attributes.size()).append(' ')
                            .append(attributes.lastModifiedTime().toMillis()).append('\n');
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return files.toString();
    }

    /** Stops polling; the registry is closed by whoever serves it. */
    @Override
    public void close() {
        if (poller != null) {
            poller.shutdownNow();
            try {
                poller.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
