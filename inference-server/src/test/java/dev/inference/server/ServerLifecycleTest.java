package dev.inference.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Building a server wires it and nothing more; {@link InferenceServer#start()} binds, loads and starts its threads. */
class ServerLifecycleTest {

    /** The threads a server runs, by name prefix. */
    private static final List<String> SERVER_THREADS = List.of("grpc-accept", "grpc-event-loop", "batcher-",
            "track-poller", "management-http", "repository-control", "injected-latency");

    @Test
    void buildingBindsNoPortAndStartsNoThreadStartingDoesBoth(@TempDir Path dir) throws Exception {
        Path labels = Files.writeString(dir.resolve("labels"), "track=\"canary\"\n");
        int port = FreePorts.next();
        int managementPort = FreePorts.next();
        Set<Thread> before = serverThreads();

        InferenceServer server = new InferenceServer(TestServer.config().port(port).managementPort(managementPort)
                .podLabelsFile(labels).build());

        assertTrue(free(port) && free(managementPort), "built, not started: both ports free");
        assertEquals(Set.of(), newThreads(before), "built, not started: no thread");

        server.start();
        try {
            assertFalse(free(port), "the gRPC port is bound");
            assertFalse(free(managementPort), "the management port is bound");
            Set<String> started = newThreads(before);
            for (String prefix : List.of("grpc-event-loop", "batcher-", "track-poller")) {
                assertTrue(started.stream().anyMatch(name -> name.startsWith(prefix)), prefix + " among " + started);
            }
        } finally {
            server.stop(Duration.ZERO);
        }
    }

    private static Set<String> newThreads(Set<Thread> before) {
        return serverThreads().stream().filter(thread -> !before.contains(thread)).map(Thread::getName)
                .collect(Collectors.toSet());
    }

    private static Set<Thread> serverThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> SERVER_THREADS.stream().anyMatch(thread.getName()::startsWith))
                .collect(Collectors.toSet());
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }
}
