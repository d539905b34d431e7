package dev.inference.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import dev.inference.api.v1.GetModelRequest;
import dev.inference.api.v1.PredictRequest;
import dev.inference.api.v1.PredictResponse;
import dev.inference.server.TestServer;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class PredictErrorsTest {

    private static final String LONG_REVIEW = "The food was good but the service was slow. ".repeat(120);

    private static TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.shared();
    }

    @AfterEach
    void serverStillServes() {
        assertEquals(1, server.blockingStub().predict(TestServer.request("1", "Still fine")).getPredictionsCount());
    }

    @Test
    void requestWithoutInstancesIsInvalid() {
        assertStatus(Status.Code.INVALID_ARGUMENT, "instances must hold at least one text",
                () -> server.blockingStub().predict(TestServer.request("1")));
    }

    @Test
    void emptyTextIsInvalidAndNamesItsIndex() {
        assertStatus(Status.Code.INVALID_ARGUMENT, "instances[1] is empty",
                () -> server.blockingStub().predict(TestServer.request("1", "Good", " ")));
    }

    @Test
    void moreInstancesThanTheLimitIsInvalid() {
        PredictRequest tooMany = PredictRequest.newBuilder().setModel("sentiment")
                .addAllInstances(Collections.nCopies(65, "Nice")).build();

        assertStatus(Status.Code.INVALID_ARGUMENT, "too many instances: 65; the limit is 64",
                () -> server.blockingStub().predict(tooMany));
    }

    @Test
    void textOverTheCharacterLimitIsInvalid() {
        assertStatus(Status.Code.INVALID_ARGUMENT, "instances[0] has 10001 characters; the limit is 10000",
                () -> server.blockingStub().predict(TestServer.request("1", "x".repeat(10_001))));
    }

    @Test
    void textAtTheCharacterLimitIsServed() {
        assertEquals(1, server.blockingStub().predict(TestServer.request("1", "y".repeat(10_000))).getPredictionsCount());
    }

    @Test
    void missingModelIsInvalid() {
        assertStatus(Status.Code.INVALID_ARGUMENT, "model is required",
                () -> server.blockingStub().predict(PredictRequest.newBuilder().addInstances("Nice").build()));
    }

    @Test
    void unknownModelIsNotFoundAndListsTheModels() {
        PredictRequest request = PredictRequest.newBuilder().setModel("spam").addInstances("Nice").build();

        assertStatus(Status.Code.NOT_FOUND, "model \"spam\" not found; models: all-minilm-l6-v2, sentiment",
                () -> server.blockingStub().predict(request));
        assertStatus(Status.Code.NOT_FOUND, "model \"spam\" not found",
                () -> server.blockingStub().getModel(GetModelRequest.newBuilder().setModel("spam").build()));
    }

    @Test
    void unknownVersionIsNotFoundAndListsTheVersions() {
        assertStatus(Status.Code.NOT_FOUND, "model \"sentiment\" has no version \"7\"; versions: 1, 2",
                () -> server.blockingStub().predict(TestServer.request("7", "Nice")));
    }

    @Test
    void messageOverTheInboundLimitIsRefusedByTransport() {
        PredictRequest huge = PredictRequest.newBuilder().setModel("sentiment")
                .addAllInstances(Collections.nCopies(60, "z".repeat(80_000))).build();

        assertStatus(Status.Code.RESOURCE_EXHAUSTED, "",
                () -> server.blockingStub().predict(huge));
    }

    @Test
    void fullQueueAnswersResourceExhaustedAtOnce() throws Exception {
        try (TestServer small = TestServer.start(TestServer.config().workers(1).maxBatchSize(1).queueCapacity(64))) {
            ListenableFuture<PredictResponse> filling = small.futureStub().predict(
                    TestServer.request("2", Collections.nCopies(64, LONG_REVIEW).toArray(String[]::new)));
            awaitSampleAtLeast(small, "inference_queue_depth{model=\"sentiment\"}", 32);
            long start = System.nanoTime();

            assertStatus(Status.Code.RESOURCE_EXHAUSTED, "is full (64 texts waiting); retry with backoff",
                    () -> small.blockingStub().predict(TestServer.request("2",
                            Collections.nCopies(40, "one more").toArray(String[]::new))));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "rejected without waiting");
            assertEquals(64, filling.get(60, TimeUnit.SECONDS).getPredictionsCount());
        }
    }

    @Test
    void callWhoseDeadlinePassesWhileQueuedIsDroppedWithoutRunningTheModel() throws Exception {
        try (TestServer busy = TestServer.start(TestServer.config().workers(1).maxBatchSize(1))) {
            occupyTheWorker(busy);

            assertStatus(Status.Code.DEADLINE_EXCEEDED, "", () -> busy.blockingStub()
                    .withDeadlineAfter(100, TimeUnit.MILLISECONDS)
                    .predict(TestServer.request("2", "late one", "late two", "late three")));

            assertOnlyOccupyingTextsRan(busy, 3);
            assertEquals(1, busy.sample("inference_requests_total{grpc_code=\"DEADLINE_EXCEEDED\",model=\"sentiment\",model_version=\"2\"}"));
        }
    }

    @Test
    void callCancelledWhileQueuedIsDroppedWithoutRunningTheModel() throws Exception {
        try (TestServer busy = TestServer.start(TestServer.config().workers(1).maxBatchSize(1))) {
            occupyTheWorker(busy);
            Context.CancellableContext cancellable = Context.current().withCancellation();
            ListenableFuture<PredictResponse> cancelled =
                    cancellable.call(() -> busy.futureStub().predict(TestServer.request("2", "never", "mind")));
            // Queued once the server has taken in more texts than the occupying calls hold. (That
            // the server holds the call open is not enough: it counts from the call's headers, before
            // the handler reads the message and queues its texts.)
            awaitCondition(() -> textsTakenIn(busy) > OCCUPYING_TEXTS, "the call to cancel is queued");
            cancellable.cancel(null);

            assertThrows(ExecutionException.class, () -> cancelled.get(10, TimeUnit.SECONDS));
            assertOnlyOccupyingTextsRan(busy, 2);
            assertEquals(1, busy.sample("inference_requests_total{grpc_code=\"CANCELLED\",model=\"sentiment\",model_version=\"2\"}"));
        }
    }

    private static final int OCCUPYING_TEXTS = 128;
    private java.util.List<ListenableFuture<PredictResponse>> occupying;

    /** Queues {@value #OCCUPYING_TEXTS} long texts in front of the next call, a second or so of work. */
    private void occupyTheWorker(TestServer busy) throws Exception {
        String[] texts = Collections.nCopies(OCCUPYING_TEXTS / 2, LONG_REVIEW).toArray(String[]::new);
        occupying = java.util.List.of(
                busy.futureStub().predict(TestServer.request("2", texts)),
                busy.futureStub().predict(TestServer.request("2", texts)));
        awaitSampleAtLeast(busy, "inference_queue_depth{model=\"sentiment\"}", OCCUPYING_TEXTS / 2);
    }

    /**
     * The texts version 2 has taken in, but the one running: its queue's depth plus the batches run
     * so far (one text each: one worker, batches of one), from one scrape, so that a text that
     * moves from the queue to the model between two reads is not counted twice.
     */
    private static double textsTakenIn(TestServer busy) {
        try {
            String scrape = busy.scrape();
            return TestServer.sample(scrape, "inference_queue_depth{model=\"sentiment\"}")
                    + TestServer.sample(scrape, "inference_batch_size_count{model=\"sentiment\",model_version=\"2\"}");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitSampleAtLeast(TestServer server, String sample, double least) throws Exception {
        awaitCondition(() -> {
            try {
                return server.sample(sample) >= least;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, sample + " >= " + least);
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition, String what) {
        Awaitility.await(what).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2)).until(condition::getAsBoolean);
    }

    private void assertOnlyOccupyingTextsRan(TestServer busy, int dropped) throws Exception {
        for (ListenableFuture<PredictResponse> call : occupying) {
            call.get(60, TimeUnit.SECONDS);
        }
        // The worker drops the late texts when it reaches them, after the occupying calls answered.
        awaitSampleAtLeast(busy, "inference_dropped_texts_total{model=\"sentiment\",model_version=\"2\"}", dropped);
        assertEquals(dropped, busy.sample("inference_dropped_texts_total{model=\"sentiment\",model_version=\"2\"}"));
        assertEquals(OCCUPYING_TEXTS, busy.sample("inference_batch_size_sum{model=\"sentiment\",model_version=\"2\"}"),
                "only the occupying texts reached the model");
    }

    @Test
    void injectedErrorsFailWithInternalAndInjectedLatencyDelaysEveryCall() throws Exception {
        try (TestServer failing = TestServer.start(TestServer.config().injectErrorRate(1))) {
            assertStatus(Status.Code.INTERNAL, "injected fault",
                    () -> failing.blockingStub().predict(TestServer.request("1", "Nice")));
        }
        try (TestServer slow = TestServer.start(TestServer.config().injectLatency(Duration.ofMillis(300)))) {
            long start = System.nanoTime();
            slow.blockingStub().predict(TestServer.request("1", "Nice"));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300));
        }
    }

    /** Asserts the call fails with the code and a message containing {@code message}, leaking nothing internal. */
    static void assertStatus(Status.Code code, String message, Executable call) {
        StatusRuntimeException error = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, error.getStatus().getCode(), String.valueOf(error.getStatus().getDescription()));
        String description = String.valueOf(error.getStatus().getDescription());
        assertTrue(description.contains(message), description);
        assertFalse(description.contains("Exception") || description.contains("\tat "), "no internals: " + description);
    }
}
