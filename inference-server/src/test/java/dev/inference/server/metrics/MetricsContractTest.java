package dev.inference.server.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.server.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The names, types and labels that the canary analysis and the alert rules query. */
class MetricsContractTest {

    private static TestServer server;
    private static String scrape;

    @BeforeAll
    static void scrapeAfterTraffic() throws Exception {
        server = TestServer.shared();
        server.blockingStub().predict(TestServer.request("1", "Great tacos", "Awful coffee"));
        scrape = server.scrape();
    }

    @Test
    void requestCounterHasModelVersionAndCode() {
        assertType("inference_requests_total", "counter");
        assertSample("inference_requests_total", "grpc_code=\"OK\"", "model=\"sentiment\"", "model_version=\"1\"");
    }

    @Test
    void requestDurationIsAHistogramWithBucketsAroundTheSlo() {
        assertType("inference_request_duration_seconds", "histogram");
        for (String le : List.of("0.1", "0.2", "0.3", "0.4", "0.5", "0.75", "1.0")) {
            assertSample("inference_request_duration_seconds_bucket",
                    "model=\"sentiment\"", "model_version=\"1\"", "le=\"" + le + "\"");
        }
    }

    @Test
    void modelDurationAndBatchSizeAreHistogramsPerVersion() {
        assertType("inference_model_duration_seconds", "histogram");
        assertSample("inference_model_duration_seconds_count", "model=\"sentiment\"", "model_version=\"1\"");
        assertType("inference_batch_size", "histogram");
        assertSample("inference_batch_size_count", "model=\"sentiment\"", "model_version=\"2\"");
    }

    @Test
    void queueDepthAndCapacityAreGaugesPerModel() {
        assertType("inference_queue_depth", "gauge");
        assertSample("inference_queue_depth", "model=\"sentiment\"");
        assertType("inference_queue_capacity", "gauge");
        assertTrue(scrape.contains("inference_queue_capacity{model=\"sentiment\"} 2048.0"), "two versions of 1024");
    }

    @Test
    void predictionsAreCountedByLabel() {
        assertType("inference_predictions_total", "counter");
        assertSample("inference_predictions_total", "label=\"positive\"", "model=\"sentiment\"", "model_version=\"1\"");
        assertSample("inference_predictions_total", "label=\"negative\"", "model=\"sentiment\"", "model_version=\"1\"");
    }

    @Test
    void readinessAndJvmAndProcessMetricsAreExported() {
        assertSample("inference_model_ready", "model=\"sentiment\"", "model_version=\"2\"");
        for (String name : List.of("process_resident_memory_bytes", "process_cpu_seconds_total",
                "jvm_memory_used_bytes", "jvm_threads_current")) {
            assertTrue(Pattern.compile("(?m)^" + name + "[ {]").matcher(scrape).find(), name);
        }
    }

    @Test
    void healthzFollowsServingAndUnknownPathsAre404() throws Exception {
        HttpResponse<String> healthz = server.management("/healthz");
        assertEquals(200, healthz.statusCode());
        assertEquals("SERVING\n", healthz.body());
        assertEquals(404, server.management("/nope").statusCode());
        assertTrue(server.management("/metrics").headers().firstValue("Content-Type").orElseThrow()
                .startsWith("text/plain; version=0.0.4"));
    }

    /** HTTP's own rules, which the management port's library keeps: HEAD, 405 with Allow, and content negotiation. */
    @Test
    void managementPortAnswersHeadMethodsItDoesNotTakeAndOpenMetrics() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI healthz = URI.create("http://127.0.0.1:" + server.server.managementPort() + "/healthz");
        HttpResponse<String> head = http.send(HttpRequest.newBuilder(healthz).method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());

        HttpResponse<String> post = http.send(HttpRequest.newBuilder(healthz).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
        assertTrue(post.body().contains("POST is not allowed on /healthz"), post.body());

        HttpResponse<String> openMetrics = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.server.managementPort() + "/metrics"))
                .header("Accept", "application/openmetrics-text; version=1.0.0").build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(openMetrics.headers().firstValue("Content-Type").orElseThrow().startsWith("application/openmetrics-text"),
                openMetrics.headers().toString());
        assertTrue(openMetrics.body().endsWith("# EOF\n"), "an OpenMetrics exposition ends with # EOF");
    }

    private static void assertType(String name, String type) {
        assertTrue(scrape.contains("# TYPE " + name + " " + type + "\n"), name + " is a " + type);
    }

    private static void assertSample(String name, String... labels) {
        boolean found = scrape.lines().anyMatch(line -> line.startsWith(name + "{")
                && List.of(labels).stream().allMatch(line::contains));
        assertTrue(found, name + " with " + List.of(labels));
    }
}
