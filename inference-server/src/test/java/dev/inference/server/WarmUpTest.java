package dev.inference.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.api.v1.PredictResponse;
import org.junit.jupiter.api.Test;
import java.time.Duration;

/**
 * The server's warm-up over loopback before SERVING: it runs real Predict calls through every
 * version, ends within its budget, and leaves no trace in the metrics the analysis reads.
 */
class WarmUpTest {

    @Test
    void theServerWarmsEveryVersionUpOverGrpcBeforeServingAndRecordsNoneOfIt() throws Exception {
        try (TestServer server = TestServer.start(TestServer.config().warmUp(Duration.ofSeconds(3)))) {
            WarmUp.Outcome outcome = server.server.warmUpOutcome();

            assertNull(outcome.failure(), "every warm-up call was answered");
            assertTrue(outcome.calls() >= 2, "calls went to both versions: " + outcome.calls());
            assertTrue(outcome.took().toMillis() < 3000 + 5000,
                    "the budget and the batches running at its end bound it: " + outcome.took());
            for (String version : new String[] {"1", "2"}) {
                String labels = "{model=\"sentiment\",model_version=\"" + version + "\"}";
                assertEquals(0, server.sample("inference_batch_size_count" + labels), "no warm-up batch in the metrics");
                assertEquals(0, server.sample("inference_request_duration_seconds_count" + labels));
            }

            PredictResponse first = server.blockingStub().predict(TestServer.request("2", "a first real call"));
            assertEquals("2", first.getModelVersion());
            assertEquals(1, server.sample(
                    "inference_requests_total{grpc_code=\"OK\",model=\"sentiment\",model_version=\"2\"}"));
            assertEquals(1, server.sample("inference_batch_size_count{model=\"sentiment\",model_version=\"2\"}"));
        }
    }

    @Test
    void aBudgetOfZeroSkipsIt() throws Exception {
        try (TestServer server = TestServer.start(TestServer.config().warmUp(Duration.ZERO))) {
            assertNull(server.server.warmUpOutcome());
        }
    }
}
