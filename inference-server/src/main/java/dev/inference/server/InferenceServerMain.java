package dev.inference.server;

import dev.inference.platform.ManifestVersion;
import dev.inference.platform.Signals;
import dev.inference.platform.UsageErrors;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Starts the inference server and drains it on SIGTERM or SIGINT. Exit codes are picocli's: 0
 * after a drain or {@code --help}, 2 for a bad flag; 1 when the server cannot start.
 */
@Command(name = "inference-server", mixinStandardHelpOptions = true, versionProvider = ManifestVersion.class,
        sortOptions = false, description = "Serves text-classification models over gRPC with dynamic batching.")
public final class InferenceServerMain implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(InferenceServerMain.class);

    @Mixin
    ServerFlags flags;

    @Spec
    CommandSpec spec;

    @Option(names = "--exit-when-serving", defaultValue = "${env:INFERENCE_EXIT_WHEN_SERVING:-false}",
            description = "Start, warm up, then stop and exit 0: the training run that records the classes for the"
                    + " image's Class Data Sharing archive (see the Dockerfile) [INFERENCE_EXIT_WHEN_SERVING].")
    boolean exitWhenServing;

    public static void main(String[] args) {
        DjlOffline.enforce();
        System.exit(new CommandLine(new InferenceServerMain()).execute(args));
    }

    @Override
    public Integer call() throws InterruptedException {
        ServerConfig config = UsageErrors.check(spec, flags::toConfig);
        Signals signals = Signals.handleTermination();
        InferenceServer server;
        try {
            server = new InferenceServer(config).start();
        } catch (IOException e) {
            // A port in use, a missing or malformed model repository: the operator's to fix, and
            // the message says what; a stack trace would only bury it.
            log.error("cannot start: {}", e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            log.error("cannot start: {}", e.getMessage(), e);
            return 1;
        }
        if (exitWhenServing) {
            server.stop(Duration.ZERO);
            return 0;
        }
        if (signals.received()) {
            // Loading cannot stop halfway through ONNX Runtime's native code; it finished first.
            log.info("signalled while starting; stopping now that the models are loaded");
        }
        signals.await();
        log.info("draining: NOT_SERVING, finishing in-flight calls (grace {} s)", config.drainGrace().toSeconds());
        server.stop();
        return 0;
    }
}
