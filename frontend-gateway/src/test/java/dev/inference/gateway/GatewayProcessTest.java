package dev.inference.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GatewayProcessTest {

    @Test
    void sigtermStopsTheGatewayProcessPromptly() throws Exception {
        try (GatewayProcess gateway = GatewayProcess.start("gateway-process-test.log", "--upstream", "127.0.0.1:1")) {
            gateway.process.destroy(); // SIGTERM

            assertTrue(gateway.process.waitFor(15, TimeUnit.SECONDS), "the gateway exits after SIGTERM");
            assertEquals(0, gateway.process.exitValue(), "a drained gateway exits 0, as Kubernetes expects of a normal stop");
            String log = gateway.log();
            assertTrue(log.contains("upstream the mesh service (127.0.0.1:1): unreachable"), log);
            assertFalse(log.contains("\tat "), "an unreachable upstream is one line, not a stack trace:\n" + log);
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
}
