package dev.inference.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A server that cannot start says why in one line and exits 1, whatever the operator got wrong. */
class StartFailureTest {

    @Test
    void aMissingModelRepositoryIsOneLineAndExitOne() throws Exception {
        String output = failedStart("missing-repository", FreePorts.next(), "--model-repository", "/nonexistent/models");

        assertTrue(output.contains("cannot start: model repository /nonexistent/models is not a directory"), output);
    }

    @Test
    void aPortInUseIsOneLineAndExitOne() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String output = failedStart("port-in-use", taken.getLocalPort());

            assertTrue(output.contains("cannot start: Failed to bind to address /127.0.0.1:" + taken.getLocalPort()), output);
        }
    }

    private static String failedStart(String name, int port, String... flags) throws Exception {
        Path log = Path.of("target/start-failure-" + name + ".log");
        Process process = TestServer.process(port, FreePorts.next(), log, flags);
        try {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "exited");
            String output = Files.readString(log);
            assertEquals(1, process.exitValue(), output);
            assertFalse(output.contains("\tat "), "no stack trace:\n" + output);
            return output;
        } finally {
            process.destroyForcibly();
        }
    }
}
