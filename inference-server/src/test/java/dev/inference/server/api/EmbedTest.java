package dev.inference.server.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.inference.api.tensors.BytesElements;
import dev.inference.api.tensors.Similarity;
import dev.inference.api.v1.EmbedRequest;
import dev.inference.api.v1.EmbedResponse;
import dev.inference.api.v1.GetModelRequest;
import dev.inference.api.v1.ModelVersionInfo;
import dev.inference.server.TestServer;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelMetadataResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The default repository's sentence-transformers model (all-MiniLM-L6-v2, FP32 version 1 and its
 * int8 re-export as version 2) through Embed, the Open Inference Protocol and GetModel. Its numbers
 * against another runtime are checked in {@code ReferencePipelinesTest}.
 */
class EmbedTest {

    private static final String MODEL = "all-minilm-l6-v2";
    private static final List<String> TEXTS = List.of(
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "The stock market fell sharply on Tuesday.",
            "Someone is having a meal.");

    private static TestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestServer.shared();
    }

    private static EmbedResponse embed(String version, List<String> texts) {
        return server.blockingStub().embed(EmbedRequest.newBuilder().setModel(MODEL).setVersion(version)
                .addAllInstances(texts).build());
    }

    private static float[] vector(EmbedResponse response, int i) {
        List<Float> values = response.getEmbeddings(i).getValuesList();
        float[] vector = new float[values.size()];
        for (int j = 0; j < vector.length; j++) {
            vector[j] = values.get(j);
        }
        return vector;
    }

    @Test
    void oneUnitVectorPerTextInOrderThatPlacesSimilarMeaningsClose() {
        EmbedResponse response = embed("1", TEXTS);

        assertEquals(MODEL, response.getModel());
        assertEquals("1", response.getModelVersion());
        assertEquals(384, response.getDimension());
        assertEquals(TEXTS.size(), response.getEmbeddingsCount());
        for (int i = 0; i < TEXTS.size(); i++) {
            assertEquals(384, response.getEmbeddings(i).getValuesCount());
            double squares = 0;
            for (float value : vector(response, i)) {
                squares += value * value;
            }
            assertEquals(1.0, Math.sqrt(squares), 1e-5, "the Normalize module makes every vector unit length");
        }
        double eatingAndBread = Similarity.cosine(vector(response, 0), vector(response, 1));
        double eatingAndMarket = Similarity.cosine(vector(response, 0), vector(response, 2));
        assertTrue(eatingAndBread > eatingAndMarket + 0.3, eatingAndBread + " vs " + eatingAndMarket);
        assertTrue(response.getPromptTokens() >= TEXTS.size() * 3, "tokens counted: " + response.getPromptTokens());
    }

    @Test
    void aTextBatchedWithLongerTextsGetsTheVectorItGetsAlone() {
        EmbedResponse alone = embed("1", List.of(TEXTS.get(0)));
        EmbedResponse together = embed("1", TEXTS);

        assertArrayEquals(vector(alone, 0), vector(together, 0), 1e-5f, "padding never reaches the pooled vector");
        assertEquals(embed("1", List.of(TEXTS.get(0))).getPromptTokens(), alone.getPromptTokens());
    }

    @Test
    void aTextOverTheTokenLimitIsTruncatedToItKeepingTheClosingSeparator() {
        String review = "We booked the tasting menu for an anniversary and every course arrived with a story. ";
        EmbedResponse long1 = embed("1", List.of(review.repeat(30)));
        EmbedResponse long2 = embed("1", List.of(review.repeat(40)));

        assertEquals(256, long1.getPromptTokens(), "sentence_bert_config.json's max_seq_length");
        // Both are cut to the same first 254 word pieces between [CLS] and [SEP].
        assertArrayEquals(vector(long1, 0), vector(long2, 0), 1e-6f);
    }

    @Test
    void theInt8ReExportAgreesWithTheFp32Model() {
        EmbedResponse fp32 = embed("1", TEXTS);
        EmbedResponse int8 = embed("2", TEXTS);

        for (int i = 0; i < TEXTS.size(); i++) {
            double cosine = Similarity.cosine(vector(fp32, i), vector(int8, i));
            assertTrue(cosine > 0.95 && cosine < 1, "int8 against FP32: " + cosine);
        }
    }

    @Test
    void getModelReportsTheTaskDimensionAndTokenLimit() {
        ModelVersionInfo version = server.blockingStub().getModel(GetModelRequest.newBuilder().setModel(MODEL).build())
                .getVersions(0);

        assertEquals("text-embedding", version.getTask());
        assertEquals(384, version.getDimension());
        assertEquals(256, version.getMaxSequenceLength(), "sentence_bert_config.json's max_seq_length");
        assertEquals(0, version.getLabelsCount());
    }

    @Test
    void eachTextApiSendsTheOtherTasksModelsWhereTheyAreServed() {
        StatusRuntimeException predict = assertThrows(StatusRuntimeException.class,
                () -> server.blockingStub().predict(TestServer.request("1", "hello").toBuilder().setModel(MODEL).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, predict.getStatus().getCode());
        assertEquals("model \"all-minilm-l6-v2\" version \"1\" is a text-embedding model; Predict serves"
                + " text-classification models: call it with Embed (POST /v1/models/all-minilm-l6-v2:embed)",
                predict.getStatus().getDescription());

        StatusRuntimeException embed = assertThrows(StatusRuntimeException.class, () -> server.blockingStub().embed(
                EmbedRequest.newBuilder().setModel("sentiment").addInstances("hello").build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, embed.getStatus().getCode());
        assertTrue(embed.getStatus().getDescription().endsWith("call it with Predict (POST /v1/models/sentiment:predict)"),
                embed.getStatus().getDescription());
    }

    @Test
    void embedChecksItsTextsAsPredictDoes() {
        StatusRuntimeException empty = assertThrows(StatusRuntimeException.class, () -> embed("1", List.of("fine", "")));

        assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
        assertEquals("instances[1] is empty", empty.getStatus().getDescription());
    }

    @Test
    void openInferenceProtocolGivesTheSameVectorsAsFp32RowsTypedAndRaw() {
        var stub = GRPCInferenceServiceGrpc.newBlockingStub(server.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        ModelMetadataResponse metadata = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName(MODEL).build());
        assertEquals("embedding", metadata.getOutputs(0).getName());
        assertEquals(List.of(-1L, 384L), metadata.getOutputs(0).getShapeList());

        List<ByteString> texts = TEXTS.stream().map(ByteString::copyFromUtf8).toList();
        InferInputTensor.Builder input = InferInputTensor.newBuilder().setName("text").setDatatype("BYTES")
                .addShape(TEXTS.size());
        ModelInferResponse typed = stub.modelInfer(ModelInferRequest.newBuilder().setModelName(MODEL).setModelVersion("1")
                .addInputs(input.clone().setContents(
                        inference.GrpcPredictV2.InferTensorContents.newBuilder().addAllBytesContents(texts)))
                .build());
        ModelInferResponse raw = stub.modelInfer(ModelInferRequest.newBuilder().setModelName(MODEL).setModelVersion("1")
                .addInputs(input).addRawInputContents(BytesElements.encode(texts)).build());
        EmbedResponse embedded = embed("1", TEXTS);

        assertEquals(List.of((long) TEXTS.size(), 384L), typed.getOutputs(0).getShapeList());
        assertEquals("FP32", typed.getOutputs(0).getDatatype());
        ByteBuffer rawValues = raw.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < TEXTS.size(); i++) {
            float[] fromTyped = new float[384];
            float[] fromRaw = new float[384];
            for (int j = 0; j < 384; j++) {
                fromTyped[j] = typed.getOutputs(0).getContents().getFp32Contents(i * 384 + j);
                fromRaw[j] = rawValues.getFloat();
            }
            assertArrayEquals(vector(embedded, i), fromTyped, 1e-5f);
            assertArrayEquals(fromTyped, fromRaw, 1e-5f);
        }
    }
}
