package dev.inference.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import dev.inference.api.v1.PredictResponse;
import dev.inference.server.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ConcurrentPredictTest {

    private static final List<String> POSITIVE = List.of(
            "Delicious food and friendly staff.", "Best ramen in the city, truly wonderful.",
            "We loved the cozy room and the excellent wine.", "Fantastic service from start to finish.");
    private static final List<String> NEGATIVE = List.of(
            "The food was cold and the waiter was rude.", "Dirty tables and a terrible burger.",
            "We waited an hour for bland, overpriced pasta.", "Awful experience, never going back.");

    @Test
    void manyConcurrentCallersAreAllAnsweredCorrectlyInSharedBatches() throws Exception {
        try (TestServer server = TestServer.start()) {
            List<ListenableFuture<PredictResponse>> calls = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                boolean positive = i % 2 == 0;
                List<String> texts = positive ? POSITIVE : NEGATIVE;
                String version = i % 3 == 0 ? "1" : "2";
                calls.add(server.futureStub().withDeadlineAfter(60, TimeUnit.SECONDS)
                        .predict(TestServer.request(version, texts.get(i % texts.size()), texts.get((i + 1) % texts.size()))));
                expected.add(positive ? "positive" : "negative");
            }

            for (int i = 0; i < calls.size(); i++) {
                PredictResponse response = calls.get(i).get(60, TimeUnit.SECONDS);
                assertEquals(2, response.getPredictionsCount());
                assertEquals(expected.get(i), response.getPredictions(0).getLabel(), "call " + i);
                assertEquals(expected.get(i), response.getPredictions(1).getLabel(), "call " + i);
            }

            double batches = server.sample("inference_batch_size_count{model=\"sentiment\",model_version=\"2\"}");
            double batchesOfOne = server.sample("inference_batch_size_bucket{model=\"sentiment\",model_version=\"2\",le=\"1.0\"}");
            double texts = server.sample("inference_batch_size_sum{model=\"sentiment\",model_version=\"2\"}");
            assertEquals(2 * 266, texts, "every text of version 2 ran once");
            assertTrue(batches - batchesOfOne > 0, "some batches held more than one text");
            assertTrue(batches < texts, "fewer forward passes than texts: " + batches);
            assertEquals(400, server.sample("inference_requests_total{grpc_code=\"OK\",model=\"sentiment\",model_version=\"1\"}")
                    + server.sample("inference_requests_total{grpc_code=\"OK\",model=\"sentiment\",model_version=\"2\"}"));
        }
    }
}
