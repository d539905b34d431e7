package dev.inference.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.inference.server.batching.BatchingSettings;
import dev.inference.server.registry.RepositoryControl;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Each flag reaches its setting, and a value out of range is refused naming the flag. */
class ServerFlagsTest {

    @Test
    void everyFlagSetsItsSetting() {
        ServerConfig config = parse("--host", "127.0.0.2", "--port", "9001", "--management-port", "9101",
                "--model-repository", "/models", "--model-control-mode", "EXPLICIT", "--repository-poll-seconds", "7",
                "--load-model", "a,b", "--default-version", "a=1,b=2", "--track", "canary", "--revision", "r3",
                "--pod-labels-file", "/labels", "--workers", "3", "--intra-op-threads", "2", "--max-batch-size", "4",
                "--max-padding-ratio", "1.5", "--batch-cost-learning", "--max-queue-delay-ms", "6",
                "--queue-capacity", "100", "--max-instances", "10", "--max-instance-chars", "500",
                "--max-message-bytes", "2048", "--drain-grace-seconds", "9", "--warm-up-ms", "700",
                "--inject-latency-ms", "11", "--inject-error-rate", "0.25");

        assertEquals("127.0.0.2", config.host());
        assertEquals(9001, config.port());
        assertEquals(9101, config.managementPort());
        assertEquals(Path.of("/models"), config.modelRepository());
        assertEquals(RepositoryControl.Mode.EXPLICIT, config.modelControlMode());
        assertEquals(Duration.ofSeconds(7), config.repositoryPoll());
        assertEquals(List.of("a", "b"), config.loadModels());
        assertEquals(Map.of("a", "1", "b", "2"), config.defaultVersions());
        assertEquals("canary", config.track());
        assertEquals("r3", config.revision());
        assertEquals(Optional.of(Path.of("/labels")), config.podLabelsFile());
        assertEquals(new BatchingSettings(3, 4, Duration.ofMillis(6), 100, 1.5, true), config.batching());
        assertEquals(2, config.intraOpThreads());
        assertEquals(10, config.maxInstances());
        assertEquals(500, config.maxInstanceChars());
        assertEquals(2048, config.maxMessageBytes());
        assertEquals(Duration.ofSeconds(9), config.drainGrace());
        assertEquals(Duration.ofMillis(700), config.warmUp());
        assertEquals(Duration.ofMillis(11), config.injectLatency());
        assertEquals(0.25, config.injectErrorRate());
    }

    @Test
    void valuesOutOfRangeAreRefusedNamingTheFlag() {
        assertEquals("--port must be a port number, was 70000",
                assertThrows(IllegalArgumentException.class, () -> parse("--port", "70000")).getMessage());
        assertEquals("--max-padding-ratio must be at least 1, was 0.5",
                assertThrows(IllegalArgumentException.class, () -> parse("--max-padding-ratio", "0.5")).getMessage());
        assertEquals("--model-control-mode must be none, poll or explicit, was sometimes", assertThrows(
                IllegalArgumentException.class, () -> parse("--model-control-mode", "sometimes")).getMessage());
        assertEquals("--load-model is for --model-control-mode explicit; the other modes load every model",
                assertThrows(IllegalArgumentException.class, () -> parse("--load-model", "a")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> parse("--track", "not a label"));
    }

    private static ServerConfig parse(String... args) {
        ServerFlags flags = new ServerFlags();
        new CommandLine(flags).parseArgs(args);
        return flags.toConfig();
    }
}
