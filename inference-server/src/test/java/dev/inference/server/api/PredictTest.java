package dev.inference.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inference.api.v1.GetModelRequest;
import dev.inference.api.v1.ListModelsRequest;
import dev.inference.api.v1.ModelInfo;
import dev.inference.api.v1.ModelVersionInfo;
import dev.inference.api.v1.PredictResponse;
import dev.inference.api.v1.Prediction;
import dev.inference.server.TestServer;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The API's answers, in-process: what is on the wire is the business of the tests that use Netty. */
class PredictTest {

    private static TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.inProcess(TestServer.config());
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @ParameterizedTest(name = "version {0}")
    @ValueSource(strings = {"1", "2"})
    void classifiesPositiveAndNegativeReviews(String version) {
        PredictResponse response = server.blockingStub().predict(TestServer.request(version,
                "The food was great and the staff were lovely.",
                "Cold soup, rude waiter, never again.",
                "Absolutely delicious pizza, we will be back!",
                "The steak was burnt and the fries were soggy."));

        assertEquals("sentiment", response.getModel());
        assertEquals(version, response.getModelVersion());
        assertEquals(List.of("positive", "negative", "positive", "negative"),
                response.getPredictionsList().stream().map(Prediction::getLabel).toList());
        for (Prediction prediction : response.getPredictionsList()) {
            assertEquals(prediction.getScoresOrThrow(prediction.getLabel()), prediction.getScore(), 0f);
            assertTrue(prediction.getScore() > 0.5f, "winning score above one half: " + prediction);
            float sum = prediction.getScoresMap().values().stream().reduce(0f, Float::sum);
            assertEquals(1f, sum, 1e-5f);
        }
    }

    @Test
    void emptyVersionUsesTheDefaultVersion() throws Exception {
        try (TestServer pinnedToOne = TestServer.inProcess(TestServer.config().defaultVersion("sentiment", "1"))) {
            assertEquals("1", pinnedToOne.blockingStub().predict(TestServer.request("", "Nice")).getModelVersion());
        }
        assertEquals("2", server.blockingStub().predict(TestServer.request("", "Nice")).getModelVersion(),
                "without a flag the highest version is the default");
    }

    @Test
    void responseHeadersNameTheVersionTrackAndRevision() {
        AtomicReference<Metadata> headers = new AtomicReference<>();
        AtomicReference<Metadata> trailers = new AtomicReference<>();
        server.blockingStub()
                .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
                .predict(TestServer.request("1", "Lovely"));

        assertEquals("1", headers.get().get(ModelHeadersInterceptor.VERSION_HEADER));
        assertEquals("stable", headers.get().get(ModelHeadersInterceptor.TRACK_HEADER));
        assertEquals("local", headers.get().get(ModelHeadersInterceptor.REVISION_HEADER), "the default outside a pod");
    }

    @Test
    void getModelDescribesEveryVersion() {
        ModelInfo info = server.blockingStub().getModel(GetModelRequest.newBuilder().setModel("sentiment").build());

        assertEquals("2", info.getDefaultVersion());
        assertEquals(64, info.getMaxInstances());
        assertEquals(10_000, info.getMaxInstanceChars());
        assertEquals(List.of("1", "2"), info.getVersionsList().stream().map(ModelVersionInfo::getVersion).toList());
        for (ModelVersionInfo version : info.getVersionsList()) {
            assertTrue(version.getReady());
            assertEquals(List.of("negative", "positive"), version.getLabelsList());
            assertEquals(8, version.getMaxBatchSize());
            assertEquals("text-classification", version.getTask());
        }
    }

    @Test
    void listModelsNamesTheDefaultRepository() {
        List<ModelInfo> models = server.blockingStub().listModels(ListModelsRequest.getDefaultInstance()).getModelsList();

        assertEquals(List.of("all-minilm-l6-v2", "sentiment"), models.stream().map(ModelInfo::getName).toList());
    }
}
