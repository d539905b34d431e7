package dev.inference.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GatewayProcessTest {

    @Test
    void sigtermStopsTheGatewayProcessPromptly() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                GatewayMain.class.getName(), "--host", "127.0.0.1", "--port", String.valueOf(port),
                "--upstream", "127.0.0.1:1")
                .redirectErrorStream(true)
                .redirectOutput(new File("target/gateway-process-test.log"))
                .start();
        try {
            awaitListening(port);

            process.destroy(); // SIGTERM

            assertTrue(process.waitFor(15, TimeUnit.SECONDS), "the gateway exits after SIGTERM");
            assertEquals(0, process.exitValue(), "a drained gateway exits 0, as Kubernetes expects of a normal stop");
            String log = Files.readString(Path.of("target/gateway-process-test.log"));
            assertTrue(log.contains("upstream the mesh service (127.0.0.1:1): unreachable"), log);
            assertFalse(log.contains("\tat "), "an unreachable upstream is one line, not a stack trace:\n" + log);
        } finally {
            process.destroyForcibly();
        }
    }

    @Test
    void badFlagsExitWithCode2AndSayWhy() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                GatewayMain.class.getName(), "--stable", "127.0.0.1:9000")
                .redirectErrorStream(true).start();

        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(15, TimeUnit.SECONDS));
        assertEquals(2, process.exitValue());
        assertTrue(output.contains("local mode needs both --stable and --canary"), output);
    }

    private static void awaitListening(int port) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try {
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/internal/health")).build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (java.io.IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("the gateway did not listen within 30 s");
    }
}
