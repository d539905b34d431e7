package dev.inference.server;

import static dev.inference.server.ServerConfig.DEFAULT_BATCH_COST_LEARNING;
import static dev.inference.server.ServerConfig.DEFAULT_DRAIN_GRACE_SECONDS;
import static dev.inference.server.ServerConfig.DEFAULT_HOST;
import static dev.inference.server.ServerConfig.DEFAULT_INTRA_OP_THREADS;
import static dev.inference.server.ServerConfig.DEFAULT_MANAGEMENT_PORT;
import static dev.inference.server.ServerConfig.DEFAULT_MAX_BATCH_SIZE;
import static dev.inference.server.ServerConfig.DEFAULT_MAX_INSTANCES;
import static dev.inference.server.ServerConfig.DEFAULT_MAX_INSTANCE_CHARS;
import static dev.inference.server.ServerConfig.DEFAULT_MAX_MESSAGE_BYTES;
import static dev.inference.server.ServerConfig.DEFAULT_MAX_PADDING_RATIO;
import static dev.inference.server.ServerConfig.DEFAULT_MAX_QUEUE_DELAY_MS;
import static dev.inference.server.ServerConfig.DEFAULT_MODEL_CONTROL_MODE;
import static dev.inference.server.ServerConfig.DEFAULT_PORT;
import static dev.inference.server.ServerConfig.DEFAULT_QUEUE_CAPACITY;
import static dev.inference.server.ServerConfig.DEFAULT_REPOSITORY_POLL_SECONDS;
import static dev.inference.server.ServerConfig.DEFAULT_REVISION;
import static dev.inference.server.ServerConfig.DEFAULT_TRACK;
import static dev.inference.server.ServerConfig.DEFAULT_WARM_UP_MS;
import static dev.inference.server.ServerConfig.DEFAULT_WORKERS;

import dev.inference.server.registry.RepositoryControl;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The server's command line: every flag, each also read from the environment variable its
 * description names (a flag on the command line wins), into a {@link ServerConfig}.
 */
public final class ServerFlags {

    @Option(names = "--host", defaultValue = "${env:INFERENCE_HOST:-" + DEFAULT_HOST + "}",
            description = "Address both ports bind to [INFERENCE_HOST] (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "${env:INFERENCE_PORT:-" + DEFAULT_PORT + "}",
            description = "gRPC port; 0 picks a free one [INFERENCE_PORT] (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--management-port", defaultValue = "${env:INFERENCE_MANAGEMENT_PORT:-" + DEFAULT_MANAGEMENT_PORT + "}",
            description = "HTTP port for /metrics and /healthz [INFERENCE_MANAGEMENT_PORT] (default: ${DEFAULT-VALUE}).")
    int managementPort;

    @Option(names = "--model-repository", defaultValue = "${env:INFERENCE_MODEL_REPOSITORY}",
            description = "Directory of <model>/<version>/ folders [INFERENCE_MODEL_REPOSITORY]"
                    + " (default: model-repository beside the jar).")
    Path modelRepository;

    @Option(names = "--model-control-mode", defaultValue = "${env:INFERENCE_MODEL_CONTROL_MODE:-" + DEFAULT_MODEL_CONTROL_MODE + "}",
            description = "none: serve the versions found at start, unchanged; poll: also rescan the repository every"
                    + " --repository-poll-seconds, loading new and changed versions and unloading removed ones;"
                    + " explicit: load only the --load-model models at start, then what the repository API says"
                    + " [INFERENCE_MODEL_CONTROL_MODE] (default: ${DEFAULT-VALUE}).")
    String modelControlMode;

    @Option(names = "--repository-poll-seconds",
            defaultValue = "${env:INFERENCE_REPOSITORY_POLL_SECONDS:-" + DEFAULT_REPOSITORY_POLL_SECONDS + "}",
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

    @Option(names = "--track", defaultValue = "${env:INFERENCE_TRACK:-" + DEFAULT_TRACK + "}",
            description = "Rollout track sent in x-model-track [INFERENCE_TRACK] (default: ${DEFAULT-VALUE}).")
    String track;

    @Option(names = "--revision", defaultValue = "${env:INFERENCE_REVISION:-" + DEFAULT_REVISION + "}",
            description = "Revision sent in x-model-revision when the labels file has no rollouts-pod-template-hash"
                    + " [INFERENCE_REVISION] (default: ${DEFAULT-VALUE}).")
    String revision;

    @Option(names = "--pod-labels-file", defaultValue = "${env:INFERENCE_POD_LABELS_FILE}",
            description = "Downward-API labels file; its track label overrides --track and is re-read"
                    + " when it changes [INFERENCE_POD_LABELS_FILE].")
    Path podLabelsFile;

    @Option(names = "--workers", defaultValue = "${env:INFERENCE_WORKERS:-" + DEFAULT_WORKERS + "}",
            description = "Model threads per model version; 0 means one per core [INFERENCE_WORKERS].")
    int workers;

    @Option(names = "--intra-op-threads", defaultValue = "${env:INFERENCE_INTRA_OP_THREADS:-" + DEFAULT_INTRA_OP_THREADS + "}",
            description = "Threads one forward pass may use [INFERENCE_INTRA_OP_THREADS] (default: ${DEFAULT-VALUE}).")
    int intraOpThreads;

    @Option(names = "--max-batch-size", defaultValue = "${env:INFERENCE_MAX_BATCH_SIZE:-" + DEFAULT_MAX_BATCH_SIZE + "}",
            description = "Most texts in one forward pass [INFERENCE_MAX_BATCH_SIZE] (default: ${DEFAULT-VALUE}).")
    int maxBatchSize;

    @Option(names = "--max-padding-ratio", defaultValue = "${env:INFERENCE_MAX_PADDING_RATIO:-" + DEFAULT_MAX_PADDING_RATIO + "}",
            description = "Most padded tokens per real token in one forward pass: a text joins a batch only while"
                    + " padding to the batch's longest text stays within it; Infinity batches by count alone"
                    + " [INFERENCE_MAX_PADDING_RATIO] (default: ${DEFAULT-VALUE}).")
    double maxPaddingRatio;

    @Option(names = "--batch-cost-learning", negatable = true,
            defaultValue = "${env:INFERENCE_BATCH_COST_LEARNING:-" + DEFAULT_BATCH_COST_LEARNING + "}", fallbackValue = "true",
            description = "Group the texts a worker takes by length and run a group together only where the version's"
                    + " measured forward-pass costs predict it saves at least 3% over running its texts one by one;"
                    + " --max-padding-ratio stays an upper bound"
                    + " [INFERENCE_BATCH_COST_LEARNING] (default: ${DEFAULT-VALUE}).")
    boolean batchCostLearning;

    @Option(names = "--max-queue-delay-ms", defaultValue = "${env:INFERENCE_MAX_QUEUE_DELAY_MS:-" + DEFAULT_MAX_QUEUE_DELAY_MS + "}",
            description = "How long a worker waits to fill a batch; 0 runs at once with what is queued"
                    + " [INFERENCE_MAX_QUEUE_DELAY_MS] (default: ${DEFAULT-VALUE}).")
    long maxQueueDelayMillis;

    @Option(names = "--queue-capacity", defaultValue = "${env:INFERENCE_QUEUE_CAPACITY:-" + DEFAULT_QUEUE_CAPACITY + "}",
            description = "Most texts waiting per model version before RESOURCE_EXHAUSTED"
                    + " [INFERENCE_QUEUE_CAPACITY] (default: ${DEFAULT-VALUE}).")
    int queueCapacity;

    @Option(names = "--max-instances", defaultValue = "${env:INFERENCE_MAX_INSTANCES:-" + DEFAULT_MAX_INSTANCES + "}",
            description = "Most texts in one request [INFERENCE_MAX_INSTANCES] (default: ${DEFAULT-VALUE}).")
    int maxInstances;

    @Option(names = "--max-instance-chars", defaultValue = "${env:INFERENCE_MAX_INSTANCE_CHARS:-" + DEFAULT_MAX_INSTANCE_CHARS + "}",
            description = "Most characters in one text [INFERENCE_MAX_INSTANCE_CHARS] (default: ${DEFAULT-VALUE}).")
    int maxInstanceChars;

    @Option(names = "--max-message-bytes", defaultValue = "${env:INFERENCE_MAX_MESSAGE_BYTES:-" + DEFAULT_MAX_MESSAGE_BYTES + "}",
            description = "Largest inbound gRPC message [INFERENCE_MAX_MESSAGE_BYTES] (default: ${DEFAULT-VALUE}).")
    int maxMessageBytes;

    @Option(names = "--drain-grace-seconds", defaultValue = "${env:INFERENCE_DRAIN_GRACE_SECONDS:-" + DEFAULT_DRAIN_GRACE_SECONDS + "}",
            description = "On SIGTERM, how long in-flight calls may take to finish"
                    + " [INFERENCE_DRAIN_GRACE_SECONDS] (default: ${DEFAULT-VALUE}).")
    long drainGraceSeconds;

    @Option(names = "--warm-up-ms", defaultValue = "${env:INFERENCE_WARM_UP_MS:-" + DEFAULT_WARM_UP_MS + "}",
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
     * The configuration these flags describe.
     *
     * @throws IllegalArgumentException for a value out of range, naming its flag
     */
    public ServerConfig toConfig() {
        ServerConfig.Builder config = ServerConfig.builder()
                .host(host)
                .port(port)
                .managementPort(managementPort)
                .modelControlMode(RepositoryControl.Mode.parse(modelControlMode))
                .repositoryPoll(Duration.ofSeconds(repositoryPollSeconds))
                .loadModels(loadModels)
                .track(track)
                .revision(revision)
                .workers(workers)
                .intraOpThreads(intraOpThreads)
                .maxBatchSize(maxBatchSize)
                .maxPaddingRatio(maxPaddingRatio)
                .batchCostLearning(batchCostLearning)
                .maxQueueDelay(Duration.ofMillis(maxQueueDelayMillis))
                .queueCapacity(queueCapacity)
                .maxInstances(maxInstances)
                .maxInstanceChars(maxInstanceChars)
                .maxMessageBytes(maxMessageBytes)
                .drainGrace(Duration.ofSeconds(drainGraceSeconds))
                .warmUp(Duration.ofMillis(warmUpMillis))
                .injectLatency(Duration.ofMillis(injectLatencyMillis))
                .injectErrorRate(injectErrorRate);
        if (modelRepository != null) {
            config.modelRepository(modelRepository);
        }
        if (podLabelsFile != null) {
            config.podLabelsFile(podLabelsFile);
        }
        defaultVersions.forEach(config::defaultVersion);
        return config.build();
    }
}
