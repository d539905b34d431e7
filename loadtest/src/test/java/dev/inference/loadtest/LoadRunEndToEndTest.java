package dev.inference.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.gateway.GatewayConfig;
import dev.inference.gateway.GatewayServer;
import dev.inference.loadtest.client.GrpcPredictClient;
import dev.inference.loadtest.client.OpenInferenceGrpcClient;
import dev.inference.loadtest.client.OpenInferenceRestClient;
import dev.inference.loadtest.client.PredictClient;
import dev.inference.loadtest.client.RestPredictClient;
import dev.inference.loadtest.report.Reports;
import dev.inference.loadtest.schedule.ClosedLoop;
import dev.inference.loadtest.schedule.NanoClock;
import dev.inference.loadtest.schedule.OpenLoop;
import dev.inference.loadtest.stats.RunResult;
import dev.inference.loadtest.stats.Slo;
import dev.inference.server.DjlOffline;
import dev.inference.server.InferenceServer;
import dev.inference.server.ServerConfig;
import dev.inference.server.bench.TabularMlp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Short runs against a real inference server and a real gateway on loopback. */
class LoadRunEndToEndTest {

    private static InferenceServer server;
    private static GatewayServer gateway;

    @BeforeAll
    static void start() throws Exception {
        DjlOffline.enforce();
        server = new InferenceServer(serverConfig(Path.of(System.getProperty("inference.modelRepository")))).start();
        gateway = new GatewayServer(GatewayConfig.builder().host("127.0.0.1").port(0)
                .upstream("127.0.0.1:" + server.port()).build()).start();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        server.stop(Duration.ofSeconds(2));
    }

    @Test
    void openLoopOverGrpcSendsTheRateAndWritesBothReports(@TempDir Path out) throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        RunResult result;
        try (GrpcPredictClient client = new GrpcPredictClient("127.0.0.1:" + server.port(), "sentiment", "1", Map.of(), 5000)) {
            result = new LoadRun(client, new OpenLoop(50, NanoClock.SYSTEM), Corpus.builtIn(), 2)
                    .run("e2e", Duration.ofMillis(500), Duration.ofSeconds(3), new PrintStream(progress, true));
        }
        Reports.write(result, out);

        assertEquals(150.0, (double) result.calls(), 2.0, "50 calls a second for 3 seconds");
        assertEquals(Map.of("OK", result.calls()), result.outcomes());
        assertTrue(result.latencyMillis().get("p50") > 0);
        assertTrue(progress.toString(StandardCharsets.UTF_8).contains("calls/s"), "a progress line a second: " + progress);
        assertTrue(result.timeline().size() >= 2);
        assertTrue(Files.readString(out.resolve("result.json")).contains("\"latencyMillis\""));
        String html = Files.readString(out.resolve("report.html"));
        assertTrue(html.contains("<svg") && !html.contains("http://") && !html.contains("https://"), "self-contained");
        assertEquals(java.util.List.of(), Slo.parse("errors<1%,p99<5s").violations(result));
    }

    @Test
    void closedLoopOverRestThroughTheGatewayCountsErrorsByStatus() throws Exception {
        RunResult result;
        try (RestPredictClient client = new RestPredictClient("http://127.0.0.1:" + gateway.port(), "sentiment", "9",
                Map.of(), 5000)) {
            result = new LoadRun(client, new ClosedLoop(4, NanoClock.SYSTEM), Corpus.builtIn(), 1)
                    .run("e2e", Duration.ZERO, Duration.ofSeconds(2), new PrintStream(new ByteArrayOutputStream()));
        }

        assertTrue(result.calls() > 20, "calls: " + result.calls());
        assertEquals(Map.of("NOT_FOUND", result.calls()), result.outcomes(), "version 9 does not exist");
        assertEquals(1, Slo.parse("errors<1%").violations(result).size());
    }

    /** The Open Inference Protocol's three ways in: gRPC typed, gRPC raw and REST, through the gateway. */
    @Test
    void openInferenceProtocolClientsTypedRawAndRest() throws Exception {
        String grpc = "127.0.0.1:" + gateway.port();
        String rest = "http://127.0.0.1:" + gateway.port();
        for (PredictClient client : java.util.List.of(
                new OpenInferenceGrpcClient(grpc, "sentiment", "1", Map.of(), 5000, false),
                new OpenInferenceGrpcClient(grpc, "sentiment", "1", Map.of(), 5000, true),
                new OpenInferenceRestClient(rest, "sentiment", "1", Map.of(), 5000))) {
            RunResult result;
            try (client) {
                result = new LoadRun(client, new ClosedLoop(2, NanoClock.SYSTEM), Corpus.builtIn(), 3)
                        .run("v2", Duration.ZERO, Duration.ofSeconds(1), new PrintStream(new ByteArrayOutputStream()));
            }
            assertTrue(result.calls() > 5, client.getClass().getSimpleName() + " calls: " + result.calls());
            assertEquals(Map.of("OK", result.calls()), result.outcomes(), client.getClass().getSimpleName());
        }
        try (OpenInferenceRestClient unknown = new OpenInferenceRestClient(rest, "sentiment", "9", Map.of(), 5000)) {
            assertEquals("HTTP_404", unknown.predict(java.util.List.of("x")).get());
        }
    }

    /**
     * --api v2 against a tensor model: the client reads the model's metadata and sends rows of the
     * graph's inputs, typed and raw, straight to a server and through the gateway's gRPC.
     */
    @Test
    void openInferenceProtocolClientDrivesATensorModelFromItsMetadata(@TempDir Path repository) throws Exception {
        TabularMlp.write(repository.resolve("mlp/1"));
        InferenceServer tensors = new InferenceServer(serverConfig(repository)).start();
        try {
            for (boolean raw : new boolean[] {false, true}) {
                RunResult result;
                try (PredictClient client = new OpenInferenceGrpcClient("127.0.0.1:" + tensors.port(), "mlp", "",
                        Map.of(), 5000, raw)) {
                    result = new LoadRun(client, new ClosedLoop(4, NanoClock.SYSTEM), Corpus.builtIn(), 3)
                            .run("tensors", Duration.ZERO, Duration.ofSeconds(1), new PrintStream(new ByteArrayOutputStream()));
                }
                assertTrue(result.calls() > 5, "calls: " + result.calls());
                assertEquals(Map.of("OK", result.calls()), result.outcomes(), raw ? "raw" : "typed");
            }
        } finally {
            tensors.stop(Duration.ofSeconds(2));
        }
    }

    private static ServerConfig serverConfig(Path repository) {
        return ServerConfig.builder().host("127.0.0.1").port(0).managementPort(0).modelRepository(repository).build();
    }
}
