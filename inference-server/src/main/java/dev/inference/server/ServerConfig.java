package dev.inference.server;

import static dev.inference.platform.SettingChecks.nonBlank;
import static dev.inference.platform.SettingChecks.portNumber;
import static dev.inference.platform.SettingChecks.require;

import dev.inference.server.batching.BatchingSettings;
import dev.inference.server.registry.RepositoryControl;
import dev.inference.server.track.TrackSource;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Every setting of the inference server, as an immutable value. The {@link Builder} checks each
 * setting where it is set, so a value out of range never reaches the server; its messages name
 * the flag, the setting's one name everywhere. {@link ServerFlags} fills a builder from the
 * command line and the environment; code and tests fill it directly, so nothing in a developer's
 * environment changes what a test configures.
 */
public final class ServerConfig {

    // The defaults, once: the builder starts from them and the flags' --help and docs show them.
    static final String DEFAULT_HOST = "0.0.0.0";
    static final int DEFAULT_PORT = 9000;
    static final int DEFAULT_MANAGEMENT_PORT = 9100;
    static final String DEFAULT_MODEL_CONTROL_MODE = "none";
    static final long DEFAULT_REPOSITORY_POLL_SECONDS = 5;
    static final String DEFAULT_TRACK = "stable";
    static final String DEFAULT_REVISION = "local";
    static final int DEFAULT_WORKERS = 0;
    static final int DEFAULT_INTRA_OP_THREADS = 1;
    static final int DEFAULT_MAX_BATCH_SIZE = 8;
    static final double DEFAULT_MAX_PADDING_RATIO = 1.25;
    static final boolean DEFAULT_BATCH_COST_LEARNING = true;
    static final long DEFAULT_MAX_QUEUE_DELAY_MS = 0;
    static final int DEFAULT_QUEUE_CAPACITY = 1024;
    static final int DEFAULT_MAX_INSTANCES = 64;
    static final int DEFAULT_MAX_INSTANCE_CHARS = 10_000;
    static final int DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
    static final long DEFAULT_DRAIN_GRACE_SECONDS = 20;
    static final long DEFAULT_WARM_UP_MS = 1500;

    private final String host;
    private final int port;
    private final int managementPort;
    private final Path modelRepository;
    private final RepositoryControl.Mode modelControlMode;
    private final Duration repositoryPoll;
    private final List<String> loadModels;
    private final Map<String, String> defaultVersions;
    private final String track;
    private final String revision;
    private final Optional<Path> podLabelsFile;
    private final int intraOpThreads;
    private final BatchingSettings batching;
    private final int maxInstances;
    private final int maxInstanceChars;
    private final int maxMessageBytes;
    private final Duration drainGrace;
    private final Duration warmUp;
    private final Duration injectLatency;
    private final double injectErrorRate;

    private ServerConfig(Builder builder) {
        this.host = builder.host;
        this.port = builder.port;
        this.managementPort = builder.managementPort;
        this.modelRepository = builder.modelRepository != null ? builder.modelRepository : besideTheJar();
        this.modelControlMode = builder.modelControlMode;
        this.repositoryPoll = builder.repositoryPoll;
        this.loadModels = List.copyOf(builder.loadModels);
        this.defaultVersions = Map.copyOf(builder.defaultVersions);
        this.track = builder.track;
        this.revision = builder.revision;
        this.podLabelsFile = Optional.ofNullable(builder.podLabelsFile);
        this.intraOpThreads = builder.intraOpThreads;
        int threads = builder.workers > 0 ? builder.workers : Runtime.getRuntime().availableProcessors();
        this.batching = new BatchingSettings(threads, builder.maxBatchSize, builder.maxQueueDelay, builder.queueCapacity,
                builder.maxPaddingRatio, builder.batchCostLearning);
        this.maxInstances = builder.maxInstances;
        this.maxInstanceChars = builder.maxInstanceChars;
        this.maxMessageBytes = builder.maxMessageBytes;
        this.drainGrace = builder.drainGrace;
        this.warmUp = builder.warmUp;
        this.injectLatency = builder.injectLatency;
        this.injectErrorRate = builder.injectErrorRate;
    }

    /** Every setting at its default. */
    public static Builder builder() {
        return new Builder();
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public int managementPort() {
        return managementPort;
    }

    public Path modelRepository() {
        return modelRepository;
    }

    public RepositoryControl.Mode modelControlMode() {
        return modelControlMode;
    }

    public Duration repositoryPoll() {
        return repositoryPoll;
    }

    public List<String> loadModels() {
        return loadModels;
    }

    public Map<String, String> defaultVersions() {
        return defaultVersions;
    }

    public String track() {
        return track;
    }

    public String revision() {
        return revision;
    }

    public Optional<Path> podLabelsFile() {
        return podLabelsFile;
    }

    public int intraOpThreads() {
        return intraOpThreads;
    }

    /** Workers (one per core for {@code --workers 0}), batch size, queue delay and capacity, padding, cost learning. */
    public BatchingSettings batching() {
        return batching;
    }

    public int maxInstances() {
        return maxInstances;
    }

    public int maxInstanceChars() {
        return maxInstanceChars;
    }

    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    public Duration drainGrace() {
        return drainGrace;
    }

    public Duration warmUp() {
        return warmUp;
    }

    public Duration injectLatency() {
        return injectLatency;
    }

    public double injectErrorRate() {
        return injectErrorRate;
    }

    /** The default repository: {@code model-repository} beside the jar (or the classes) the server runs from. */
    private static Path besideTheJar() {
        try {
            Path codeSource = Path.of(ServerConfig.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return codeSource.toAbsolutePath().getParent().resolve("model-repository");
        } catch (URISyntaxException | SecurityException e) {
            return Path.of("model-repository");
        }
    }

    /**
     * Fills a {@link ServerConfig}; every setter throws {@link IllegalArgumentException} for a value
     * out of range, naming the flag.
     */
    public static final class Builder {

        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int managementPort = DEFAULT_MANAGEMENT_PORT;
        private Path modelRepository;
        private RepositoryControl.Mode modelControlMode = RepositoryControl.Mode.parse(DEFAULT_MODEL_CONTROL_MODE);
        private Duration repositoryPoll = Duration.ofSeconds(DEFAULT_REPOSITORY_POLL_SECONDS);
        private List<String> loadModels = List.of();
        private final Map<String, String> defaultVersions = new LinkedHashMap<>();
        private String track = DEFAULT_TRACK;
        private String revision = DEFAULT_REVISION;
        private Path podLabelsFile;
        private int workers = DEFAULT_WORKERS;
        private int intraOpThreads = DEFAULT_INTRA_OP_THREADS;
        private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
        private double maxPaddingRatio = DEFAULT_MAX_PADDING_RATIO;
        private boolean batchCostLearning = DEFAULT_BATCH_COST_LEARNING;
        private Duration maxQueueDelay = Duration.ofMillis(DEFAULT_MAX_QUEUE_DELAY_MS);
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private int maxInstances = DEFAULT_MAX_INSTANCES;
        private int maxInstanceChars = DEFAULT_MAX_INSTANCE_CHARS;
        private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private Duration drainGrace = Duration.ofSeconds(DEFAULT_DRAIN_GRACE_SECONDS);
        private Duration warmUp = Duration.ofMillis(DEFAULT_WARM_UP_MS);
        private Duration injectLatency = Duration.ZERO;
        private double injectErrorRate;

        private Builder() {}

        /** {@code --host}: the address both ports bind to. */
        public Builder host(String host) {
            this.host = nonBlank("--host", host);
            return this;
        }

        /** {@code --port}: the gRPC port; 0 picks a free one. */
        public Builder port(int port) {
            this.port = portNumber("--port", port);
            return this;
        }

        /** {@code --management-port}: {@code /metrics}, {@code /healthz} and the repository API; 0 picks a free one. */
        public Builder managementPort(int port) {
            this.managementPort = portNumber("--management-port", port);
            return this;
        }

        /** {@code --model-repository}: a directory of {@code <model>/<version>/} folders. */
        public Builder modelRepository(Path directory) {
            this.modelRepository = Objects.requireNonNull(directory, "--model-repository");
            return this;
        }

        /** {@code --model-control-mode}. */
        public Builder modelControlMode(RepositoryControl.Mode mode) {
            this.modelControlMode = Objects.requireNonNull(mode, "--model-control-mode");
            return this;
        }

        /** {@code --repository-poll-seconds}: how often mode poll rescans. */
        public Builder repositoryPoll(Duration period) {
            require(period.toSeconds() >= 1, "--repository-poll-seconds must be at least 1, was " + period.toSeconds());
            this.repositoryPoll = period;
            return this;
        }

        /** {@code --load-model}: the models mode explicit loads at start. */
        public Builder loadModels(List<String> models) {
            this.loadModels = List.copyOf(models);
            return this;
        }

        /** {@code --default-version model=version}: the version that serves requests with an empty version. */
        public Builder defaultVersion(String model, String version) {
            require(!model.isBlank() && !version.isBlank(), "--default-version takes model=version pairs, was "
                    + model + "=" + version);
            this.defaultVersions.put(model, version);
            return this;
        }

        /** {@code --track}: sent in {@code x-model-track} unless the pod's labels say otherwise. */
        public Builder track(String track) {
            this.track = TrackSource.requireLabelValue(track, "--track");
            return this;
        }

        /** {@code --revision}: sent in {@code x-model-revision} unless the pod's labels say otherwise. */
        public Builder revision(String revision) {
            this.revision = TrackSource.requireLabelValue(revision, "--revision");
            return this;
        }

        /** {@code --pod-labels-file}: the Downward API's labels file, re-read when it changes. */
        public Builder podLabelsFile(Path file) {
            this.podLabelsFile = Objects.requireNonNull(file, "--pod-labels-file");
            return this;
        }

        /** {@code --workers}: model threads per version; 0 means one per core. */
        public Builder workers(int workers) {
            require(workers >= 0, "--workers must not be negative, was " + workers);
            this.workers = workers;
            return this;
        }

        /** {@code --intra-op-threads}: threads one forward pass may use. */
        public Builder intraOpThreads(int threads) {
            require(threads >= 1, "--intra-op-threads must be at least 1, was " + threads);
            this.intraOpThreads = threads;
            return this;
        }

        /** {@code --max-batch-size}: the most texts in one forward pass. */
        public Builder maxBatchSize(int size) {
            require(size >= 1, "--max-batch-size must be at least 1, was " + size);
            this.maxBatchSize = size;
            return this;
        }

        /** {@code --max-padding-ratio}: the most padded tokens per real token in one forward pass. */
        public Builder maxPaddingRatio(double ratio) {
            require(ratio >= 1, "--max-padding-ratio must be at least 1, was " + ratio);
            this.maxPaddingRatio = ratio;
            return this;
        }

        /** {@code --batch-cost-learning}. */
        public Builder batchCostLearning(boolean learn) {
            this.batchCostLearning = learn;
            return this;
        }

        /** {@code --max-queue-delay-ms}: how long a worker waits to fill a batch. */
        public Builder maxQueueDelay(Duration delay) {
            require(!delay.isNegative(), "--max-queue-delay-ms must not be negative, was " + delay.toMillis());
            this.maxQueueDelay = delay;
            return this;
        }

        /** {@code --queue-capacity}: the most texts waiting per version. */
        public Builder queueCapacity(int capacity) {
            require(capacity >= 1, "--queue-capacity must be at least 1, was " + capacity);
            this.queueCapacity = capacity;
            return this;
        }

        /** {@code --max-instances}: the most texts in one request. */
        public Builder maxInstances(int most) {
            require(most >= 1, "--max-instances must be at least 1, was " + most);
            this.maxInstances = most;
            return this;
        }

        /** {@code --max-instance-chars}: the most characters in one text. */
        public Builder maxInstanceChars(int most) {
            require(most >= 1, "--max-instance-chars must be at least 1, was " + most);
            this.maxInstanceChars = most;
            return this;
        }

        /** {@code --max-message-bytes}: the largest inbound gRPC message. */
        public Builder maxMessageBytes(int most) {
            require(most >= 1024, "--max-message-bytes must be at least 1024, was " + most);
            this.maxMessageBytes = most;
            return this;
        }

        /** {@code --drain-grace-seconds}: how long calls in flight may take to finish on SIGTERM. */
        public Builder drainGrace(Duration grace) {
            require(!grace.isNegative(), "--drain-grace-seconds must not be negative, was " + grace.toSeconds());
            this.drainGrace = grace;
            return this;
        }

        /** {@code --warm-up-ms}: the longest warm-up over loopback before SERVING; zero skips it. */
        public Builder warmUp(Duration budget) {
            require(!budget.isNegative(), "--warm-up-ms must not be negative, was " + budget.toMillis());
            this.warmUp = budget;
            return this;
        }

        /** {@code --inject-latency-ms}: FAULT INJECTION, a delay before every model call. */
        public Builder injectLatency(Duration latency) {
            require(!latency.isNegative(), "--inject-latency-ms must not be negative, was " + latency.toMillis());
            this.injectLatency = latency;
            return this;
        }

        /** {@code --inject-error-rate}: FAULT INJECTION, the fraction of model calls failing with INTERNAL. */
        public Builder injectErrorRate(double rate) {
            require(rate >= 0 && rate <= 1, "--inject-error-rate must be between 0 and 1, was " + rate);
            this.injectErrorRate = rate;
            return this;
        }

        /** @throws IllegalArgumentException for settings that contradict each other */
        public ServerConfig build() {
            require(loadModels.isEmpty() || modelControlMode == RepositoryControl.Mode.EXPLICIT,
                    "--load-model is for --model-control-mode explicit; the other modes load every model");
            return new ServerConfig(this);
        }
    }
}
