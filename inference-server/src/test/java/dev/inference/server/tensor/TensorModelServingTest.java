package dev.inference.server.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.inference.api.v1.GetModelRequest;
import dev.inference.api.v1.ModelInfo;
import dev.inference.server.TestServer;
import dev.inference.server.bench.TabularMlp;
import dev.inference.server.model.VersionSettings;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferRequest.InferRequestedOutputTensor;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelMetadataResponse.TensorMetadata;
import inference.GrpcPredictV2.ModelMetadataResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tensor models served from their graph alone, through the real server over Netty: a tabular MLP
 * with a dynamic batch dimension (batched), the same MLP with batching turned off in its settings,
 * and ONNX's own {@code test_add} with fixed shapes (never batched).
 */
class TensorModelServingTest {

    @TempDir
    static Path repository;
    private static TestServer server;
    private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

    @BeforeAll
    static void start() throws Exception {
        TabularMlp.write(repository.resolve("mlp").resolve("1"));
        Path single = TabularMlp.write(repository.resolve("mlp-single").resolve("1")).getParent();
        Files.writeString(single.resolve(VersionSettings.FILE_NAME), "{\"maxBatchSize\": 0}");
        Path add = Files.createDirectories(repository.resolve("add").resolve("1"));
        OnnxTestCases.requireData();
        Files.copy(OnnxTestCases.DATA.resolve("node/test_add/model.onnx"), add.resolve("model.onnx"));
        Path mod = Files.createDirectories(repository.resolve("mod").resolve("1"));
        Files.copy(OnnxTestCases.DATA.resolve("node/test_mod_mixed_sign_int32/model.onnx"), mod.resolve("model.onnx"));
        Path gather = Files.createDirectories(repository.resolve("gather").resolve("1"));
        Files.copy(OnnxTestCases.DATA.resolve("node/test_gather_0/model.onnx"), gather.resolve("model.onnx"));
        // One worker and a short wait, so that concurrent calls find it busy and queue into batches.
        server = TestServer.start(TestServer.config().modelRepository(repository).workers(1)
                .maxQueueDelay(Duration.ofMillis(5)));
        stub = GRPCInferenceServiceGrpc.newBlockingStub(server.channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    @Test
    void metadataComesFromTheGraphWithMinusOneForTheBatch() {
        ModelMetadataResponse mlp = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("mlp").build());
        assertEquals(List.of(tensor("features", "FP32", -1, 4)), mlp.getInputsList());
        assertEquals(List.of(tensor("scores", "FP32", -1, 3), tensor("label", "INT64", -1)), mlp.getOutputsList());
        assertEquals("onnxruntime_onnx", mlp.getPlatform());

        ModelMetadataResponse add = stub.modelMetadata(ModelMetadataRequest.newBuilder().setName("add").build());
        assertEquals(List.of(tensor("x", "FP32", 3, 4, 5), tensor("y", "FP32", 3, 4, 5)), add.getInputsList());

        ModelInfo info = server.blockingStub().getModel(GetModelRequest.newBuilder().setModel("mlp").build());
        assertEquals("tensor", info.getVersions(0).getTask());
        assertEquals(8, info.getVersions(0).getMaxBatchSize());
        assertEquals(0, server.blockingStub().getModel(GetModelRequest.newBuilder().setModel("add").build())
                .getVersions(0).getMaxBatchSize(), "a model with fixed shapes runs each call alone");
        assertEquals(0, server.blockingStub().getModel(GetModelRequest.newBuilder().setModel("mlp-single").build())
                .getVersions(0).getMaxBatchSize(), "serving.json turned batching off");
    }

    @Test
    void concurrentOneRowCallsAreBatchedAndEachCallerGetsItsOwnRow() throws Exception {
        String batches = "inference_batch_size_count{model=\"mlp\",model_version=\"1\"}";
        String rows = "inference_batch_size_sum{model=\"mlp\",model_version=\"1\"}";
        double batchesBefore = server.sample(batches);
        double rowsBefore = server.sample(rows);
        GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub async = GRPCInferenceServiceGrpc.newFutureStub(server.channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS);
        List<float[]> features = new ArrayList<>();
        List<ListenableFuture<ModelInferResponse>> calls = new ArrayList<>();
        for (int call = 0; call < 200; call++) {
            float[] row = {call, -call / 10f, (call % 7) - 3, 0.5f};
            features.add(row);
            calls.add(async.modelInfer(call % 2 == 0 ? typed("mlp", 1, row) : raw("mlp", 1, row)));
        }
        for (int call = 0; call < calls.size(); call++) {
            ModelInferResponse response = calls.get(call).get(30, TimeUnit.SECONDS);
            float[] expected = TabularMlp.scores(features.get(call));
            assertArrayEquals(expected, scores(response), 1e-4f, "call " + call + " got its own row");
            assertEquals(List.of(1L, 3L), response.getOutputs(0).getShapeList());
            assertEquals(argMax(expected), labels(response)[0]);
        }
        double ran = server.sample(batches) - batchesBefore;
        assertEquals(200, server.sample(rows) - rowsBefore, 0.0, "every row ran exactly once");
        assertTrue(ran < 200, "200 concurrent one-row calls ran in " + ran + " forward passes: they were batched");
    }

    @Test
    void multiRowCallsWorkTypedAndRawBatchedOrNot() throws Exception {
        float[][] rows = {{1, 2, 3, 4}, {-1, 0, 1, 0}, {0.25f, 0.5f, -2, 8}};
        for (String model : List.of("mlp", "mlp-single")) {
            for (ModelInferResponse response : List.of(stub.modelInfer(typed(model, 3, flat(rows))),
                    stub.modelInfer(raw(model, 3, flat(rows))))) {
                assertEquals(List.of(3L, 3L), response.getOutputs(0).getShapeList());
                float[] scores = scores(response);
                long[] labels = labels(response);
                for (int r = 0; r < rows.length; r++) {
                    float[] expected = TabularMlp.scores(rows[r]);
                    for (int c = 0; c < 3; c++) {
                        assertEquals(expected[c], scores[r * 3 + c], 1e-4f, model + " row " + r);
                    }
                    assertEquals(argMax(expected), labels[r]);
                }
            }
        }
        ModelInferResponse onlyLabel = stub.modelInfer(typed("mlp", 1, rows[0]).toBuilder()
                .addOutputs(InferRequestedOutputTensor.newBuilder().setName("label")).build());
        assertEquals(1, onlyLabel.getOutputsCount());
        assertEquals("label", onlyLabel.getOutputs(0).getName());
    }

    @Test
    void fixedShapeModelRunsAsItsGraphSays() {
        float[] x = new float[60];
        float[] y = new float[60];
        for (int i = 0; i < 60; i++) {
            x[i] = i;
            y[i] = 100 - i * 0.5f;
        }
        ModelInferResponse sum = stub.modelInfer(ModelInferRequest.newBuilder().setModelName("add")
                .addInputs(fp32("x", x, 3, 4, 5)).addInputs(fp32("y", y, 3, 4, 5)).build());
        assertEquals(List.of(3L, 4L, 5L), sum.getOutputs(0).getShapeList());
        for (int i = 0; i < 60; i++) {
            assertEquals(x[i] + y[i], sum.getOutputs(0).getContents().getFp32Contents(i), 1e-5f);
        }
    }

    @Test
    void everyBadInputGetsInvalidArgumentNamingWhatWasWrongAndTheServerGoesOn() {
        float[] row = {1, 2, 3, 4};
        Map<String, UnaryOperator<ModelInferRequest.Builder>> bad = new java.util.LinkedHashMap<>();
        bad.put("input \"features\" has datatype FP64; the model takes FP32", r -> r.setInputs(0,
                r.getInputs(0).toBuilder().setDatatype("FP64")));
        bad.put("input \"features\" has shape [4] (rank 1); the model takes FP32 [-1, 4] (rank 2)", r -> r.setInputs(0,
                r.getInputs(0).toBuilder().clearShape().addShape(4)));
        bad.put("input \"features\" has shape [1, 5]: dimension 1 must be 4", r -> r.setInputs(0,
                r.getInputs(0).toBuilder().setShape(1, 5)));
        bad.put("input \"features\" has shape [2, 4] (8 elements) but its fp32_contents holds 4", r -> r.setInputs(0,
                r.getInputs(0).toBuilder().setShape(0, 2)));
        bad.put("unknown input \"extra\"; the model takes \"features\" (FP32 [-1, 4])", r -> r.addInputs(
                InferInputTensor.newBuilder().setName("extra").setDatatype("FP32").addShape(1)));
        bad.put("missing input \"features\" (FP32 [-1, 4])", ModelInferRequest.Builder::clearInputs);
        bad.put("input \"features\" is given twice", r -> r.addInputs(r.getInputs(0)));
        bad.put("unknown output \"probabilities\"; the model gives \"scores\" (FP32 [-1, 3]), \"label\" (INT64 [-1])",
                r -> r.addOutputs(InferRequestedOutputTensor.newBuilder().setName("probabilities")));
        bad.put("too many rows: 300; the limit is 64 per request", r -> r.setInputs(0, r.getInputs(0).toBuilder()
                .setShape(0, 300).setContents(InferTensorContents.newBuilder().addAllFp32Contents(
                        java.util.Collections.nCopies(1200, 1f)))));
        bad.put("the inputs hold no rows", r -> r.setInputs(0, r.getInputs(0).toBuilder().setShape(0, 0)
                .setContents(InferTensorContents.getDefaultInstance())));
        bad.put("input \"features\" has shape [-1, 4]: dimension 0 is negative", r -> r.setInputs(0,
                r.getInputs(0).toBuilder().setShape(0, -1)));
        for (Map.Entry<String, UnaryOperator<ModelInferRequest.Builder>> entry : bad.entrySet()) {
            assertInvalid(entry.getValue().apply(typed("mlp", 1, row).toBuilder()).build(), entry.getKey());
        }
        ModelInferRequest rawRequest = raw("mlp", 1, row);
        assertInvalid(rawRequest.toBuilder().setRawInputContents(0, ByteString.copyFrom(new byte[15])).build(),
                "input \"features\" has shape [1, 4] (4 elements) of FP32, 16 bytes, but raw_input_contents[0] holds 15 bytes");
        assertInvalid(rawRequest.toBuilder().addRawInputContents(ByteString.EMPTY).build(),
                "raw_input_contents holds 2 tensors for 1 inputs");
        assertInvalid(rawRequest.toBuilder().setInputs(0, typed("mlp", 1, row).getInputs(0)).build(),
                "input \"features\" has typed contents while the request has raw_input_contents");

        StatusRuntimeException unknown = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> stub.modelInfer(typed("mlp", 1, row).toBuilder().setModelVersion("9").build()));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
        StatusRuntimeException predict = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> server.blockingStub().predict(dev.inference.api.v1.PredictRequest.newBuilder().setModel("mlp")
                        .addInstances("a text").build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, predict.getStatus().getCode());
        assertTrue(predict.getStatus().getDescription().contains("model \"mlp\" version \"1\" is a tensor model"),
                predict.getStatus().getDescription());

        assertArrayEquals(TabularMlp.scores(row), scores(stub.modelInfer(typed("mlp", 1, row))), 1e-4f,
                "the server still serves");
    }

    /** Values the graph cannot take, however well shaped, are the caller's error, and the server goes on. */
    @Test
    void valuesTheModelRejectsAreInvalidArgumentInTheRuntimesWords() {
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName("gather")
                .addInputs(fp32("data", new float[5 * 4 * 3 * 2], 5, 4, 3, 2));
        InferInputTensor.Builder indices = InferInputTensor.newBuilder().setName("indices").setDatatype("INT64").addShape(3);
        ModelInferResponse gathered = stub.modelInfer(request.clone().addInputs(indices.clone()
                .setContents(InferTensorContents.newBuilder().addAllInt64Contents(List.of(0L, 1L, 4L)))).build());
        assertEquals(List.of(3L, 4L, 3L, 2L), gathered.getOutputs(0).getShapeList());

        assertInvalid(request.clone().addInputs(indices.clone().setContents(InferTensorContents.newBuilder()
                .addAllInt64Contents(List.of(0L, 9L, 2L)))).build(),
                "the model rejected the inputs: Gather node. Status Message: indices element out of data bounds, idx=9");
        assertEquals(3, stub.modelInfer(request.clone().addInputs(indices.clone()
                .setContents(InferTensorContents.newBuilder().addAllInt64Contents(List.of(4L, 3L, 2L)))).build())
                .getOutputs(0).getShape(0), "the server still serves");
    }

    /**
     * ONNX Runtime divides integers natively, so a zero divisor would end the process (SIGFPE): an
     * input the graph divides by is checked for zeros, typed and raw, and the server goes on.
     */
    @Test
    void aZeroIntegerDivisorIsRefusedBeforeItReachesTheRuntime() {
        InferInputTensor.Builder x = InferInputTensor.newBuilder().setName("x").setDatatype("INT32").addShape(6)
                .setContents(InferTensorContents.newBuilder().addAllIntContents(List.of(5, -5, 7, 8, 9, 10)));
        InferInputTensor.Builder y = InferInputTensor.newBuilder().setName("y").setDatatype("INT32").addShape(6);
        ModelInferRequest zero = ModelInferRequest.newBuilder().setModelName("mod").addInputs(x)
                .addInputs(y.clone().setContents(InferTensorContents.newBuilder().addAllIntContents(List.of(3, 3, 0, 2, 2, 2))))
                .build();
        assertInvalid(zero, "input \"y\" divides integers in the model (Div or Mod), and its element 2 is 0");
        ModelInferRequest.Builder raw = ModelInferRequest.newBuilder().setModelName("mod");
        for (InferInputTensor input : zero.getInputsList()) {
            raw.addInputs(input.toBuilder().clearContents())
                    .addRawInputContents(dev.inference.api.tensors.Datatype.INT32.typedToRaw(input.getContents()));
        }
        assertInvalid(raw.build(), "and its element 2 is 0");

        ModelInferResponse remainders = stub.modelInfer(ModelInferRequest.newBuilder().setModelName("mod").addInputs(x)
                .addInputs(y.clone().setContents(InferTensorContents.newBuilder().addAllIntContents(List.of(3, 3, 4, 3, 2, 3))))
                .build());
        assertEquals(List.of(2, 1, 3, 2, 1, 1), remainders.getOutputs(0).getContents().getIntContentsList(),
                "the server still serves, with Python's remainders (fmod 0)");
    }

    private static void assertInvalid(ModelInferRequest request, String message) {
        StatusRuntimeException error = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                () -> stub.modelInfer(request), message);
        assertEquals(Status.Code.INVALID_ARGUMENT, error.getStatus().getCode(), message);
        assertTrue(error.getStatus().getDescription().contains(message),
                "expected \"" + message + "\" in \"" + error.getStatus().getDescription() + "\"");
    }

    private static ModelInferRequest typed(String model, int rows, float... values) {
        return ModelInferRequest.newBuilder().setModelName(model)
                .addInputs(fp32("features", values, rows, 4)).build();
    }

    private static InferInputTensor fp32(String name, float[] values, long... shape) {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (float value : values) {
            contents.addFp32Contents(value);
        }
        InferInputTensor.Builder tensor = InferInputTensor.newBuilder().setName(name).setDatatype("FP32")
                .setContents(contents);
        for (long dimension : shape) {
            tensor.addShape(dimension);
        }
        return tensor.build();
    }

    private static ModelInferRequest raw(String model, int rows, float... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            bytes.putFloat(value);
        }
        return ModelInferRequest.newBuilder().setModelName(model)
                .addInputs(InferInputTensor.newBuilder().setName("features").setDatatype("FP32").addShape(rows).addShape(4))
                .addRawInputContents(ByteString.copyFrom(bytes.flip())).build();
    }

    /** The scores, typed or raw, as the response carries them. */
    private static float[] scores(ModelInferResponse response) {
        if (response.getRawOutputContentsCount() > 0) {
            ByteBuffer raw = response.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            float[] values = new float[raw.remaining() / 4];
            raw.asFloatBuffer().get(values);
            return values;
        }
        List<Float> typed = response.getOutputs(0).getContents().getFp32ContentsList();
        float[] values = new float[typed.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = typed.get(i);
        }
        return values;
    }

    private static long[] labels(ModelInferResponse response) {
        if (response.getRawOutputContentsCount() > 0) {
            ByteBuffer raw = response.getRawOutputContents(1).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            long[] values = new long[raw.remaining() / 8];
            raw.asLongBuffer().get(values);
            return values;
        }
        return response.getOutputs(1).getContents().getInt64ContentsList().stream().mapToLong(Long::longValue).toArray();
    }

    private static float[] flat(float[][] rows) {
        float[] values = new float[rows.length * rows[0].length];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, values, r * rows[0].length, rows[0].length);
        }
        return values;
    }

    private static long argMax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    private static TensorMetadata tensor(String name, String datatype, long... shape) {
        TensorMetadata.Builder tensor = TensorMetadata.newBuilder().setName(name).setDatatype(datatype);
        for (long dimension : shape) {
            tensor.addShape(dimension);
        }
        return tensor.build();
    }
}
