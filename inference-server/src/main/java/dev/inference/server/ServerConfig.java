package dev.inference.server;

import dev.inference.server.batching.BatchingSettings;
import dev.inference.server.registry.RepositoryControl;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * Every setting of the inference server. Each flag may also come from the environment variable
 * named in its description; a flag on the command line wins.
 */
public final class ServerConfig {

    @Option(names = "--host", defaultValue = "${env:INFERENCE_HOST:-0.0.0.0}",
            description = "Address both ports bind to [INFERENCE_HOST] (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "${env:INFERENCE_PORT:-9000}",
            description = "gRPC port; 0 picks a free one [INFERENCE_PORT] (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--management-port", defaultValue = "${env:INFERENCE_MANAGEMENT_PORT:-9100}",
            description = "HTTP port for /metrics and /healthz [INFERENCE_MANAGEMENT_PORT] (default: ${DEFAULT-VALUE}).")
    int managementPort;

    @Option(names = "--model-repository", defaultValue = "${env:INFERENCE_MODEL_REPOSITORY}",
            description = "Directory of <model>/<version>/ folders [INFERENCE_MODEL_REPOSITORY]"
                    + " (default: model-repository beside the jar).")
    Path modelRepository;

    @Option(names = "--model-control-mode", defaultValue = "${env:INFERENCE_MODEL_CONTROL_MODE:-none}",
            description = "none: serve the versions found at start, unchanged; poll: also rescan the repository every"
                    + " --repository-poll-seconds, loading new and changed versions and unloading removed ones;"
                    + " explicit: load only the --load-model models at start, then what the repository API says"
                    + " [INFERENCE_MODEL_CONTROL_MODE] (default: ${DEFAULT-VALUE}).")
    String modelControlMode;

    @Option(names = "--repository-poll-seconds", defaultValue = "${env:INFERENCE_REPOSITORY_POLL_SECONDS:-5}",
            description = "How often mode poll rescans the repository [INFERENCE_REPOSITORY_POLL_SECONDS]"
                    + " (default: ${DEFAULT-VALUE}).")
    long repositoryPollSeconds;

    @Option(names = "--load-model", split = ",", defaultValue = "${env:INFERENCE_LOAD_MODEL}",
            description = "Models mode explicit loads at start, comma-separated [INFERENCE_LOAD_MODEL] (default: none).")
    List<String> loadModels = new ArrayList<>();

    @Option(names = "--default-version", split = ",", defaultValue = "${env:INFERENCE_DEFAULT_VERSION}",
            description = "model=version pairs: the version that serves requests with an empty version"
                    + " [INFERENCE_DEFAULT_VERSION] (default: each model's highest version).")
    Map<String, String> defaultVersions = new LinkedHashMap<>();

    @Option(names = "--track", defaultValue = "${env:INFERENCE_TRACK:-stable}",
            description = "Rollout track sent in x-model-track [INFERENCE_TRACK] (default: ${DEFAULT-VALUE}).")
    String track;

    @Option(names = "--revision", defaultValue = "${env:INFERENCE_REVISION:-local}",
            description = "Revision sent in x-model-revision when the labels file has no rollouts-pod-template-hash"
                    + " [INFERENCE_REVISION] (default: ${DEFAULT-VALUE}).")
    String revision;

    @Option(names = "--pod-labels-file", defaultValue = "${env:INFERENCE_POD_LABELS_FILE}",
            description = "Downward-API labels file; its track label overrides --track and is re-read"
                    + " when it changes [INFERENCE_POD_LABELS_FILE].")
    Path podLabelsFile;

    @Option(names = "--workers", defaultValue = "${env:INFERENCE_WORKERS:-0}",
            description = "Model threads per model version; 0 means one per core [INFERENCE_WORKERS].")
    int workers;

    @Option(names = "--intra-op-threads", defaultValue = "${env:INFERENCE_INTRA_OP_THREADS:-1}",
            description = "Threads one forward pass may use [INFERENCE_INTRA_OP_THREADS] (default: ${DEFAULT-VALUE}).")
    int intraOpThreads;

    @Option(names = "--max-batch-size", defaultValue = "${env:INFERENCE_MAX_BATCH_SIZE:-8}",
            description = "Most texts in one forward pass [INFERENCE_MAX_BATCH_SIZE] (default: ${DEFAULT-VALUE}).")
    int maxBatchSize;

    @Option(names = "--max-padding-ratio", defaultValue = "${env:INFERENCE_MAX_PADDING_RATIO:-1.25}",
            description = "Most padded tokens per real token in one forward pass: a text joins a batch only while"
                    + " padding to the batch's longest text stays within it; Infinity batches by count alone"
                    + " [INFERENCE_MAX_PADDING_RATIO] (default: ${DEFAULT-VALUE}).")
    double maxPaddingRatio;

    @Option(names = "--batch-cost-learning", negatable = true, defaultValue = "${env:INFERENCE_BATCH_COST_LEARNING:-false}",
            fallbackValue = "true",
            description = "Run a batch together only where the version's measured forward-pass costs predict it saves at"
                    + " least 3% over running its texts one by one; --max-padding-ratio stays an upper bound"
                    + " [INFERENCE_BATCH_COST_LEARNING] (default: ${DEFAULT-VALUE}).")
    boolean batchCostLearning;

    @Option(names = "--max-queue-delay-ms", defaultValue = "${env:INFERENCE_MAX_QUEUE_DELAY_MS:-0}",
            description = "How long a worker waits to fill a batch; 0 runs at once with what is queued"
                    + " [INFERENCE_MAX_QUEUE_DELAY_MS] (default: ${DEFAULT-VALUE}).")
    long maxQueueDelayMillis;

    @Option(names = "--queue-capacity", defaultValue = "${env:INFERENCE_QUEUE_CAPACITY:-1024}",
            description = "Most texts waiting per model version before RESOURCE_EXHAUSTED"
                    + " [INFERENCE_QUEUE_CAPACITY] (default: ${DEFAULT-VALUE}).")
    int queueCapacity;

    @Option(names = "--max-instances", defaultValue = "${env:INFERENCE_MAX_INSTANCES:-64}",
            description = "Most texts in one request [INFERENCE_MAX_INSTANCES] (default: ${DEFAULT-VALUE}).")
    int maxInstances;

    @Option(names = "--max-instance-chars", defaultValue = "${env:INFERENCE_MAX_INSTANCE_CHARS:-10000}",
            description = "Most characters in one text [INFERENCE_MAX_INSTANCE_CHARS] (default: ${DEFAULT-VALUE}).")
    int maxInstanceChars;

    @Option(names = "--max-message-bytes", defaultValue = "${env:INFERENCE_MAX_MESSAGE_BYTES:-4194304}",
            description = "Largest inbound gRPC message [INFERENCE_MAX_MESSAGE_BYTES] (default: ${DEFAULT-VALUE}).")
    int maxMessageBytes;

    @Option(names = "--drain-grace-seconds", defaultValue = "${env:INFERENCE_DRAIN_GRACE_SECONDS:-20}",
            description = "On SIGTERM, how long in-flight calls may take to finish"
                    + " [INFERENCE_DRAIN_GRACE_SECONDS] (default: ${DEFAULT-VALUE}).")
    long drainGraceSeconds;

    @Option(names = "--warm-up-ms", defaultValue = "${env:INFERENCE_WARM_UP_MS:-1500}",
            description = "How long the server sends itself Predict calls over loopback before it reports SERVING,"
                    + " so that its first real calls run compiled code; sooner done once the JIT compiler is quiet;"
                    + " 0 skips it [INFERENCE_WARM_UP_MS] (default: ${DEFAULT-VALUE}).")
    long warmUpMillis;

    @Option(names = "--inject-latency-ms", defaultValue = "${env:INFERENCE_INJECT_LATENCY_MS:-0}",
            description = "FAULT INJECTION: delay added to every Predict [INFERENCE_INJECT_LATENCY_MS].")
    long injectLatencyMillis;

    @Option(names = "--inject-error-rate", defaultValue = "${env:INFERENCE_INJECT_ERROR_RATE:-0}",
            description = "FAULT INJECTION: fraction of Predicts failing with INTERNAL [INFERENCE_INJECT_ERROR_RATE].")
    double injectErrorRate;

    /**
     * Parses command-line flags (environment variables fill in the rest) and validates them.
     *
     * @throws picocli.CommandLine.ParameterException for an unknown flag or a malformed value
     * @throws IllegalArgumentException for a value out of range
     */
    public static ServerConfig parse(String... args) {
        ServerConfig config = new ServerConfig();
        new picocli.CommandLine(config).parseArgs(args);
        config.validate();
        return config;
    }

    /**
     * The defaults of every flag (environment variables included), to adjust with the typed setters
     * below: the way to configure a server from code. {@link InferenceServer#start} validates.
     */
    public static ServerConfig defaults() {
        ServerConfig config = new ServerConfig();
        new picocli.CommandLine(config).parseArgs();
        return config;
    }

    /** {@code --host}, {@code --port} and {@code --management-port}; 0 picks a free port. */
    public ServerConfig listenOn(String host, int port, int managementPort) {
        this.host = host;
        this.port = port;
        this.managementPort = managementPort;
        return this;
    }

    public ServerConfig modelRepository(Path directory) {
        this.modelRepository = directory;
        return this;
    }

    /** {@code --default-version model=version}. */
    public ServerConfig defaultVersion(String model, String version) {
        this.defaultVersions.put(model, version);
        return this;
    }

    /**
     * {@code --model-control-mode}, {@code --repository-poll-seconds} and {@code --load-model}.
     */
    public ServerConfig modelControl(RepositoryControl.Mode mode, Duration pollPeriod, String... startModels) {
        this.modelControlMode = mode.name().toLowerCase(Locale.ROOT);
        this.repositoryPollSeconds = pollPeriod.toSeconds();
        this.loadModels = new ArrayList<>(List.of(startModels));
        return this;
    }

    /** {@code --workers}, {@code --max-batch-size} and {@code --queue-capacity}. */
    public ServerConfig batching(int workers, int maxBatchSize, int queueCapacity) {
        this.workers = workers;
        this.maxBatchSize = maxBatchSize;
        this.queueCapacity = queueCapacity;
        return this;
    }

    /** Checks ranges that picocli's types cannot express. */
    void validate() {
        require(port >= 0 && port <= 65535, "--port must be a port number, was " + port);
        require(managementPort >= 0 && managementPort <= 65535,
                "--management-port must be a port number, was " + managementPort);
        require(workers >= 0, "--workers must not be negative, was " + workers);
        require(intraOpThreads >= 1, "--intra-op-threads must be at least 1, was " + intraOpThreads);
        require(maxBatchSize >= 1, "--max-batch-size must be at least 1, was " + maxBatchSize);
        require(maxPaddingRatio >= 1, "--max-padding-ratio must be at least 1, was " + maxPaddingRatio);
        require(maxQueueDelayMillis >= 0, "--max-queue-delay-ms must not be negative, was " + maxQueueDelayMillis);
        require(queueCapacity >= 1, "--queue-capacity must be at least 1, was " + queueCapacity);
        require(maxInstances >= 1, "--max-instances must be at least 1, was " + maxInstances);
        require(maxInstanceChars >= 1, "--max-instance-chars must be at least 1, was " + maxInstanceChars);
        require(maxMessageBytes >= 1024, "--max-message-bytes must be at least 1024, was " + maxMessageBytes);
        require(drainGraceSeconds >= 0, "--drain-grace-seconds must not be negative, was " + drainGraceSeconds);
        require(warmUpMillis >= 0, "--warm-up-ms must not be negative, was " + warmUpMillis);
        require(injectLatencyMillis >= 0, "--inject-latency-ms must not be negative, was " + injectLatencyMillis);
        require(injectErrorRate >= 0 && injectErrorRate <= 1,
                "--inject-error-rate must be between 0 and 1, was " + injectErrorRate);
        require(repositoryPollSeconds >= 1, "--repository-poll-seconds must be at least 1, was " + repositoryPollSeconds);
        controlMode();
        require(loadModels.isEmpty() || controlMode() == RepositoryControl.Mode.EXPLICIT,
                "--load-model is for --model-control-mode explicit; the other modes load every model");
        require(!track.isBlank(), "--track must not be empty");
        require(!revision.isBlank(), "--revision must not be empty");
        batching();
    }

    BatchingSettings batching() {
        int threads = workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
        return new BatchingSettings(threads, maxBatchSize, Duration.ofMillis(maxQueueDelayMillis), queueCapacity,
                maxPaddingRatio, batchCostLearning);
    }

    RepositoryControl.Mode controlMode() {
        try {
            return RepositoryControl.Mode.valueOf(modelControlMode.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--model-control-mode must be none, poll or explicit, was "
                    + modelControlMode);
        }
    }

    Path modelRepository() {
        if (modelRepository != null) {
            return modelRepository;
        }
        try {
            Path codeSource = Path.of(ServerConfig.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return codeSource.toAbsolutePath().getParent().resolve("model-repository");
        } catch (URISyntaxException | SecurityException e) {
            return Path.of("model-repository");
        }
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
