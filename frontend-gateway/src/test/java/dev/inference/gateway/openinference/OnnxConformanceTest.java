package dev.inference.gateway.openinference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import dev.inference.api.tensors.BytesElements;
import dev.inference.api.tensors.Datatype;
import dev.inference.gateway.GatewayServer;
import dev.inference.gateway.TestPlatform;
import dev.inference.server.InferenceServer;
import dev.inference.server.tensor.OnnxTensors;
import dev.inference.server.tensor.OnnxTestCases;
import dev.inference.server.tensor.TensorData;
import inference.GRPCInferenceServiceGrpc;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferResponse.InferOutputTensor;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ModelMetadataResponse.TensorMetadata;
import inference.GrpcPredictV2.ModelMetadataResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX's own backend conformance cases served by the real server, each folder holding only its
 * {@code model.onnx}: the metadata the graph implies, and every output equal to the one ONNX
 * expects, through gRPC with typed contents, gRPC with raw contents, and the gateway's REST
 * {@code /v2} JSON. A case ONNX Runtime itself cannot run in-process is left out by running it,
 * never by hand.
 */
class OnnxConformanceTest {

    /** Cases per suite and combination of datatypes: a broad sample that one server loads quickly. */
    private static final int PER_KIND = 3;

    @TempDir
    static Path repository;
    private static List<OnnxTestCases.Case> cases;
    private static InferenceServer server;
    private static GatewayServer gateway;
    private static ManagedChannel channel;
    private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;

    @BeforeAll
    static void serve() throws Exception {
        OnnxTestCases.requireData();
        cases = OnnxTestCases.sample(PER_KIND);
        for (OnnxTestCases.Case testCase : cases) {
            Path version = Files.createDirectories(repository.resolve(testCase.modelName()).resolve("1"));
            Files.copy(testCase.model(), version.resolve("model.onnx"));
        }
        server = TestPlatform.inferenceServer(TestPlatform.serverConfig().modelRepository(repository).workers(1));
        gateway = TestPlatform.gateway(TestPlatform.gatewayConfig(server).maxRequestBytes(16 << 20));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
    }

    @AfterAll
    static void stop() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            gateway.close();
            server.stop(Duration.ofSeconds(2));
        }
    }

    @Test
    void theSampleIsBroad() {
        TreeSet<String> datatypes = new TreeSet<>();
        cases.forEach(testCase -> datatypes.addAll(OnnxTestCases.datatypes(testCase)));
        assertTrue(cases.size() >= 50, cases.size() + " cases");
        assertTrue(datatypes.containsAll(List.of("BOOL", "BYTES", "FP16", "FP32", "FP64", "INT8", "INT16", "INT32",
                "INT64", "UINT8")), "datatypes served: " + datatypes);
        assertTrue(cases.stream().map(OnnxTestCases.Case::suite).distinct().count() == OnnxTestCases.SUITES.size(),
                "every suite");
    }

    @Test
    void metadataIsTheGraphs() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (OnnxTestCases.Case testCase : cases) {
            ModelMetadataResponse metadata = stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                    .modelMetadata(ModelMetadataRequest.newBuilder().setName(testCase.modelName()).build());
            Map<String, List<Long>> shapes = OnnxTestCases.declaredShapes(testCase);
            check(wrong, testCase, "inputs", testCase.inputs(), metadata.getInputsList(), shapes);
            check(wrong, testCase, "outputs", testCase.outputs(), metadata.getOutputsList(), shapes);
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void everyOutputIsOnnxsExpectedOneTypedRawAndThroughTheGatewaysJson() throws Exception {
        List<String> wrong = new ArrayList<>();
        int typedCalls = 0;
        for (OnnxTestCases.Case testCase : cases) {
            if (testCase.inputs().stream().allMatch(input -> input.datatype().typedField().isPresent())) {
                typedCalls++;
                compare(wrong, testCase, "typed", () -> outputs(stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                        .modelInfer(request(testCase, false))));
            }
            compare(wrong, testCase, "raw", () -> outputs(stub.withDeadlineAfter(30, TimeUnit.SECONDS)
                    .modelInfer(request(testCase, true))));
            compare(wrong, testCase, "REST", () -> rest(testCase));
        }
        assertEquals(List.of(), wrong, "of " + cases.size() + " cases");
        assertTrue(typedCalls > cases.size() / 2, typedCalls + " typed calls");
    }

    private interface Call {
        Map<String, TensorData> outputs() throws Exception;
    }

    private static void compare(List<String> wrong, OnnxTestCases.Case testCase, String how, Call call) {
        Map<String, TensorData> actual;
        try {
            actual = call.outputs();
        } catch (StatusRuntimeException e) {
            wrong.add(testCase.modelName() + " " + how + ": " + e.getStatus());
            return;
        } catch (Exception e) {
            wrong.add(testCase.modelName() + " " + how + ": " + e);
            return;
        }
        for (OnnxTensors.Named expected : testCase.outputs()) {
            TensorData got = actual.get(expected.name());
            String difference = got == null ? "missing"
                    : OnnxTensors.difference(expected.datatype(), expected.data(), got);
            if (difference != null) {
                wrong.add(testCase.modelName() + " " + how + " output \"" + expected.name() + "\": " + difference);
            }
        }
    }

    private static void check(List<String> wrong, OnnxTestCases.Case testCase, String kind,
            List<OnnxTensors.Named> expected, List<TensorMetadata> actual, Map<String, List<Long>> shapes) {
        List<String> want = expected.stream().map(tensor -> tensor.name() + " " + tensor.datatype() + " "
                + shapes.get(tensor.name())).toList();
        List<String> got = actual.stream().map(tensor -> tensor.getName() + " " + tensor.getDatatype() + " "
                + tensor.getShapeList()).toList();
        if (!want.equals(got)) {
            wrong.add(testCase.modelName() + " " + kind + ": " + got + ", the graph says " + want);
        }
    }

    private static ModelInferRequest request(OnnxTestCases.Case testCase, boolean raw) {
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(testCase.modelName());
        for (OnnxTensors.Named input : testCase.inputs()) {
            InferInputTensor.Builder tensor = InferInputTensor.newBuilder().setName(input.name())
                    .setDatatype(input.datatype().name())
                    .addAllShape(Arrays.stream(input.data().shape()).boxed().toList());
            List<ByteString> strings = input.data().strings().stream().map(ByteString::copyFromUtf8).toList();
            if (raw) {
                request.addRawInputContents(input.datatype() == Datatype.BYTES ? BytesElements.encode(strings)
                        : input.data().raw());
            } else if (input.datatype() == Datatype.BYTES) {
                tensor.setContents(InferTensorContents.newBuilder().addAllBytesContents(strings));
            } else {
                InferTensorContents.Builder contents = InferTensorContents.newBuilder();
                input.datatype().rawToTyped(input.data().raw(), contents);
                tensor.setContents(contents);
            }
            request.addInputs(tensor);
        }
        return request.build();
    }

    /** A response's outputs by name, whether it answered typed or raw. */
    private static Map<String, TensorData> outputs(ModelInferResponse response) {
        Map<String, TensorData> outputs = new java.util.HashMap<>();
        for (int i = 0; i < response.getOutputsCount(); i++) {
            InferOutputTensor tensor = response.getOutputs(i);
            Datatype datatype = Datatype.of(tensor.getDatatype()).orElseThrow();
            long[] shape = tensor.getShapeList().stream().mapToLong(Long::longValue).toArray();
            boolean raw = response.getRawOutputContentsCount() > 0;
            if (datatype == Datatype.BYTES) {
                List<ByteString> elements = raw ? BytesElements.decode(response.getRawOutputContents(i))
                        : tensor.getContents().getBytesContentsList();
                outputs.put(tensor.getName(), TensorData.strings(shape, elements.stream().map(ByteString::toStringUtf8).toList()));
            } else {
                outputs.put(tensor.getName(), TensorData.raw(shape, raw ? response.getRawOutputContents(i)
                        : datatype.typedToRaw(tensor.getContents())));
            }
        }
        return outputs;
    }

    /** The case through the gateway's REST /v2 as JSON, its outputs read back from JSON. */
    private static Map<String, TensorData> rest(OnnxTestCases.Case testCase) throws Exception {
        JsonArray inputs = new JsonArray();
        for (OnnxTensors.Named input : testCase.inputs()) {
            JsonObject tensor = new JsonObject();
            tensor.addProperty("name", input.name());
            tensor.addProperty("datatype", input.datatype().name());
            JsonArray shape = new JsonArray();
            Arrays.stream(input.data().shape()).forEach(shape::add);
            tensor.add("shape", shape);
            JsonArray data = new JsonArray();
            if (input.datatype() == Datatype.BYTES) {
                input.data().strings().forEach(data::add);
            } else {
                ByteBuffer raw = input.data().raw().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                while (raw.hasRemaining()) {
                    Object value = input.datatype().get(raw);
                    if (value instanceof Boolean bool) {
                        data.add(bool);
                    } else {
                        data.add((Number) value);
                    }
                }
            }
            tensor.add("data", data);
            inputs.add(tensor);
        }
        JsonObject body = new JsonObject();
        body.add("inputs", inputs);
        HttpResponse<String> response = TestPlatform.post(gateway, "/v2/models/" + testCase.modelName() + "/infer",
                body.toString());
        if (response.statusCode() != 200) {
            throw new AssertionError(response.statusCode() + " " + response.body());
        }
        Map<String, TensorData> outputs = new java.util.HashMap<>();
        for (JsonElement element : JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonArray("outputs")) {
            JsonObject output = element.getAsJsonObject();
            Datatype datatype = Datatype.of(output.get("datatype").getAsString()).orElseThrow();
            long[] shape = new long[output.getAsJsonArray("shape").size()];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = output.getAsJsonArray("shape").get(d).getAsLong();
            }
            JsonArray data = output.getAsJsonArray("data");
            if (datatype == Datatype.BYTES) {
                List<String> strings = new ArrayList<>();
                data.forEach(value -> strings.add(value.getAsString()));
                outputs.put(output.get("name").getAsString(), TensorData.strings(shape, strings));
                continue;
            }
            ByteBuffer raw = ByteBuffer.allocate(data.size() * datatype.size()).order(ByteOrder.LITTLE_ENDIAN);
            for (JsonElement value : data) {
                datatype.put(raw, value.getAsJsonPrimitive().isBoolean() ? (Object) value.getAsBoolean()
                        : datatype.floatingPoint() ? (Object) value.getAsDouble() : value.getAsBigDecimal());
            }
            outputs.put(output.get("name").getAsString(), TensorData.raw(shape, ByteString.copyFrom(raw.flip())));
        }
        return outputs;
    }
}
