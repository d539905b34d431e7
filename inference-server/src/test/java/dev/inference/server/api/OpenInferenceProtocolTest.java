package dev.inference.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.inference.api.v1.PredictResponse;
import dev.inference.api.v1.Prediction;
import dev.inference.server.Required;
import dev.inference.server.TestServer;
import dev.inference.server.training.LabeledTexts;
import inference.GRPCInferenceServiceGrpc;
import inference.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import inference.GrpcPredictV2.InferParameter;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferRequest.InferRequestedOutputTensor;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelMetadataResponse;
import inference.GrpcPredictV2.ModelReadyRequest;
import inference.GrpcPredictV2.ServerLiveRequest;
import inference.GrpcPredictV2.ServerMetadataRequest;
import inference.GrpcPredictV2.ServerMetadataResponse;
import inference.GrpcPredictV2.ServerReadyRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The Open Inference Protocol v2 on the server's gRPC port, called with a client generated from
 * the specification's own proto (the repository's copy is checked to be that file, byte for byte).
 */
class OpenInferenceProtocolTest {

    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.shared();
    }

    private static GRPCInferenceServiceBlockingStub stub() {
        return stub(server);
    }

    private static GRPCInferenceServiceBlockingStub stub(TestServer on) {
        return GRPCInferenceServiceGrpc.newBlockingStub(on.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @Test
    void theProtoIsTheSpecificationsByteForByte() throws Exception {
        // Tests run in the module's folder; the specification lives beside the repository.
        Path spec = Path.of("..", "..", "shared", "specs", "open-inference-protocol", "grpc_predict_v2.proto");
        Path ours = Path.of("..", "proto", "src", "main", "proto", "grpc_predict_v2.proto");
        Required.that(Files.exists(spec), "the specification is not beside the repository: "
                + spec.toAbsolutePath().normalize());
        assertEquals(-1, Files.mismatch(spec, ours), "proto/src/main/proto/grpc_predict_v2.proto differs from " + spec);
    }

    @Test
    void liveReadyAndMetadataDescribeTheModelForAGenericClient() {
        assertTrue(stub().serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        assertTrue(stub().serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        assertTrue(stub().modelReady(ModelReadyRequest.newBuilder().setName("sentiment").setVersion("1").build()).getReady());
        assertTrue(stub().modelReady(ModelReadyRequest.newBuilder().setName("sentiment").build()).getReady());

        ServerMetadataResponse serverMetadata = stub().serverMetadata(ServerMetadataRequest.getDefaultInstance());
        assertEquals("inference-platform", serverMetadata.getName());
        assertEquals(List.of("classification", "model_repository"), serverMetadata.getExtensionsList());

        ModelMetadataResponse model = stub().modelMetadata(ModelMetadataRequest.newBuilder().setName("sentiment").build());
        assertEquals("sentiment", model.getName());
        assertEquals(List.of("1", "2"), model.getVersionsList());
        assertEquals("onnxruntime_onnx", model.getPlatform());
        assertEquals("text", model.getInputs(0).getName());
        assertEquals("BYTES", model.getInputs(0).getDatatype());
        assertEquals(List.of(-1L), model.getInputs(0).getShapeList());
        assertEquals(List.of("label", "probabilities"), model.getOutputsList().stream().map(t -> t.getName()).toList());
        assertEquals("BYTES", model.getOutputs(0).getDatatype());
        assertEquals("FP32", model.getOutputs(1).getDatatype());
        assertEquals(List.of(-1L, 2L), model.getOutputs(1).getShapeList());
    }

    @Test
    void typedBytesInTypedOutputsOutWithTheIdEchoed() {
        ModelInferResponse response = stub().modelInfer(typed("Lovely food and kind staff.", "Cold, rude and dirty.")
                .setId("call-42").build());

        assertEquals("call-42", response.getId());
        assertEquals("sentiment", response.getModelName());
        assertEquals("2", response.getModelVersion(), "the default version");
        assertEquals(0, response.getRawOutputContentsCount(), "typed in, typed out");
        assertEquals("label", response.getOutputs(0).getName());
        assertEquals(List.of(2L), response.getOutputs(0).getShapeList());
        assertEquals(List.of("positive", "negative"), response.getOutputs(0).getContents().getBytesContentsList().stream()
                .map(ByteString::toStringUtf8).toList());
        var probabilities = response.getOutputs(1);
        assertEquals(List.of(2L, 2L), probabilities.getShapeList());
        assertEquals("[\"negative\",\"positive\"]", probabilities.getParametersOrThrow("labels").getStringParam());
        List<Float> values = probabilities.getContents().getFp32ContentsList();
        assertEquals(1f, values.get(0) + values.get(1), 1e-5f);
        assertTrue(values.get(1) > 0.5f && values.get(2) > 0.5f, "positive first, negative second: " + values);
    }

    @Test
    void rawBytesOfShapeNByOneInRawOutputsOut() {
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("sentiment").setModelVersion("1")
                .addInputs(InferInputTensor.newBuilder().setName("text").setDatatype("BYTES").addShape(2).addShape(1))
                .addRawInputContents(raw("Wonderful evening.", "Never again."))
                .build();

        ModelInferResponse response = stub().modelInfer(request);

        assertEquals("1", response.getModelVersion());
        assertEquals(2, response.getRawOutputContentsCount(), "raw in, raw out: one entry per output");
        assertFalse(response.getOutputs(0).hasContents());
        assertEquals(List.of("positive", "negative"), decodeRaw(response.getRawOutputContents(0)));
        ByteBuffer floats = response.getRawOutputContents(1).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(4 * Float.BYTES, floats.remaining());
        assertEquals(1f, floats.getFloat(0) + floats.getFloat(4), 1e-5f);
    }

    @Test
    void requestedOutputsOnlyAndTheClassificationExtension() {
        ModelInferResponse labelsOnly = stub().modelInfer(typed("Superb.")
                .addOutputs(InferRequestedOutputTensor.newBuilder().setName("label")).build());
        assertEquals(List.of("label"), labelsOnly.getOutputsList().stream().map(t -> t.getName()).toList());

        ModelInferResponse top = stub().modelInfer(typed("Superb.", "Awful.")
                .addOutputs(InferRequestedOutputTensor.newBuilder().setName("probabilities")
                        .putParameters("classification", InferParameter.newBuilder().setInt64Param(1).build())).build());
        assertEquals("BYTES", top.getOutputs(0).getDatatype());
        assertEquals(List.of(2L, 1L), top.getOutputs(0).getShapeList());
        List<String> classes = top.getOutputs(0).getContents().getBytesContentsList().stream()
                .map(ByteString::toStringUtf8).toList();
        assertTrue(classes.get(0).matches("0\\.\\d+:1:positive") && classes.get(1).matches("0\\.\\d+:0:negative"),
                "score:index:label " + classes);
    }

    @Test
    void everyMalformedRequestIsNamedPrecisely() {
        assertStatus(Status.Code.NOT_FOUND, "model \"sentimental\"", typed("x").setModelName("sentimental"));
        assertStatus(Status.Code.NOT_FOUND, "no version \"7\"", typed("x").setModelVersion("7"));
        assertStatus(Status.Code.INVALID_ARGUMENT, "input \"text\" has datatype FP32; the model takes BYTES",
                ModelInferRequest.newBuilder().setModelName("sentiment").addInputs(InferInputTensor.newBuilder()
                        .setName("text").setDatatype("FP32").addShape(1)
                        .setContents(InferTensorContents.newBuilder().addFp32Contents(1f))));
        assertStatus(Status.Code.INVALID_ARGUMENT, "unknown input \"review\"",
                ModelInferRequest.newBuilder().setModelName("sentiment").addInputs(InferInputTensor.newBuilder()
                        .setName("review").setDatatype("BYTES").addShape(1)
                        .setContents(InferTensorContents.newBuilder().addBytesContents(ByteString.copyFromUtf8("x")))));
        ModelInferRequest.Builder shapeMismatch = typed("a", "b");
        shapeMismatch.getInputsBuilder(0).clearShape().addShape(3);
        assertStatus(Status.Code.INVALID_ARGUMENT, "input \"text\" has shape [3] (3 elements) but 2 elements of data",
                shapeMismatch);
        assertStatus(Status.Code.INVALID_ARGUMENT, "typed contents while the request has raw_input_contents",
                typed("a").addRawInputContents(raw("a")));
        ByteString truncated = raw("hello").substring(0, 2);
        assertStatus(Status.Code.INVALID_ARGUMENT, "input \"text\": raw contents end inside the 4-byte length of element 0",
                ModelInferRequest.newBuilder().setModelName("sentiment").addInputs(InferInputTensor.newBuilder()
                        .setName("text").setDatatype("BYTES").addShape(1)).addRawInputContents(truncated));
        ByteString shortElement = raw("hello").substring(0, 6);
        assertStatus(Status.Code.INVALID_ARGUMENT, "element 0 declares 5 bytes at byte 0 but only 2 remain",
                ModelInferRequest.newBuilder().setModelName("sentiment").addInputs(InferInputTensor.newBuilder()
                        .setName("text").setDatatype("BYTES").addShape(1)).addRawInputContents(shortElement));
        String[] many = new String[65];
        java.util.Arrays.fill(many, "fine");
        assertStatus(Status.Code.INVALID_ARGUMENT, "too many texts in input \"text\": 65; the limit is 64", typed(many));
        assertStatus(Status.Code.INVALID_ARGUMENT, "input \"text\"[0] has 10001 characters; the limit is 10000",
                typed("x".repeat(10_001)));
        assertStatus(Status.Code.INVALID_ARGUMENT, "unknown output \"scores\"",
                typed("x").addOutputs(InferRequestedOutputTensor.newBuilder().setName("scores")));
        assertStatus(Status.Code.NOT_FOUND, "model \"nope\"", null);
    }

    /**
     * The same texts, the same version, the same labels: v2's accuracy is v1's. On a server that
     * batches by the padding bound alone, so that both calls run the same batches: with cost
     * learning, whether a group runs together depends on the costs measured at that moment, and
     * the int8 models' batch-wide quantization moves a borderline text's label with its batch mates
     * (docs/architecture.md, "Batched versus unbatched results").
     */
    @Test
    void heldOutLabelsThroughV2AreV1sForEveryVersion() throws Exception {
        LabeledTexts heldOut = LabeledTexts.read(Path.of("src/test/resources/sentiment/labeled-reviews.tsv"));
        try (TestServer on = TestServer.start(TestServer.config().batchCostLearning(false))) {
            for (String version : List.of("1", "2")) {
                List<String> v1 = new ArrayList<>();
                List<String> v2 = new ArrayList<>();
                for (int start = 0; start < heldOut.size(); start += 50) {
                    String[] texts = heldOut.texts().subList(start, Math.min(heldOut.size(), start + 50)).toArray(String[]::new);
                    PredictResponse predicted = on.blockingStub().predict(TestServer.request(version, texts));
                    predicted.getPredictionsList().stream().map(Prediction::getLabel).forEach(v1::add);
                    stub(on).modelInfer(typed(texts).setModelVersion(version).build()).getOutputs(0).getContents()
                            .getBytesContentsList().forEach(label -> v2.add(label.toStringUtf8()));
                }
                assertEquals(v1, v2, "version " + version);
                long correct = java.util.stream.IntStream.range(0, v2.size())
                        .filter(i -> v2.get(i).equals(heldOut.labels().get(i))).count();
                System.out.printf("held-out accuracy of version %s through v2: %d/%d%n", version, correct, heldOut.size());
            }
        }
    }

    /** A drain: ready until it begins, the call in flight answered, then nothing accepts calls. */
    @Test
    void readyAndLiveThroughADrain() throws Exception {
        try (TestServer slow = TestServer.start(TestServer.config().injectLatency(Duration.ofMillis(300)))) {
            GRPCInferenceServiceBlockingStub client = GRPCInferenceServiceGrpc.newBlockingStub(slow.channel);
            assertTrue(client.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
            CompletableFuture<ModelInferResponse> inFlight = CompletableFuture.supplyAsync(() ->
                    client.withDeadlineAfter(10, TimeUnit.SECONDS).modelInfer(typed("A wonderful dinner, lovely staff.").build()));
            // In flight once the server holds its stream: a drain lets such a call finish.
            Awaitility.await("the call is in flight").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
                    .until(() -> slow.server.openCalls() == 1);

            CompletableFuture<Void> drain = CompletableFuture.runAsync(() -> slow.server.stop(Duration.ofSeconds(5)));

            assertEquals("positive", inFlight.get(10, TimeUnit.SECONDS).getOutputs(0).getContents().getBytesContents(0)
                    .toStringUtf8(), "the call in flight is answered");
            drain.get(10, TimeUnit.SECONDS);
            StatusRuntimeException gone = assertThrows(StatusRuntimeException.class,
                    () -> client.withDeadlineAfter(2, TimeUnit.SECONDS).serverLive(ServerLiveRequest.getDefaultInstance()));
            assertEquals(Status.Code.UNAVAILABLE, gone.getStatus().getCode());
        }
    }

    private static void assertStatus(Status.Code code, String message, ModelInferRequest.Builder request) {
        StatusRuntimeException error = assertThrows(StatusRuntimeException.class, () -> {
            if (request == null) {
                stub().modelReady(ModelReadyRequest.newBuilder().setName("nope").build());
            } else {
                stub().modelInfer(request.build());
            }
        });
        assertEquals(code, error.getStatus().getCode(), error.getStatus().toString());
        assertTrue(error.getStatus().getDescription().contains(message), error.getStatus().getDescription());
    }

    private static ModelInferRequest.Builder typed(String... texts) {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (String text : texts) {
            contents.addBytesContents(ByteString.copyFromUtf8(text));
        }
        return ModelInferRequest.newBuilder().setModelName("sentiment").addInputs(InferInputTensor.newBuilder()
                .setName("text").setDatatype("BYTES").addShape(texts.length).setContents(contents));
    }

    /** Per element a 4-byte little-endian length, then the bytes, as the specification says. */
    private static ByteString raw(String... texts) {
        ByteString.Output out = ByteString.newOutput();
        for (String text : texts) {
            byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            out.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length).array(), 0, 4);
            out.write(bytes, 0, bytes.length);
        }
        return out.toByteString();
    }

    private static List<String> decodeRaw(ByteString raw) {
        ByteBuffer buffer = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        List<String> elements = new ArrayList<>();
        while (buffer.hasRemaining()) {
            byte[] element = new byte[buffer.getInt()];
            buffer.get(element);
            elements.add(new String(element, java.nio.charset.StandardCharsets.UTF_8));
        }
        return elements;
    }
}
