package dev.inference.gateway.forwarding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.inference.api.Headers;
import dev.inference.gateway.TestPlatform;
import inference.GRPCInferenceServiceGrpc;
import inference.GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub;
import inference.GrpcPredictV2.InferTensorContents;
import inference.GrpcPredictV2.ModelInferRequest;
import inference.GrpcPredictV2.ModelInferRequest.InferInputTensor;
import inference.GrpcPredictV2.ModelInferResponse;
import inference.GrpcPredictV2.ModelMetadataRequest;
import inference.GrpcPredictV2.ServerLiveRequest;
import inference.GrpcPredictV2.ServerReadyRequest;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Open Inference Protocol v2 through the gateway, to the real servers of the local platform. */
class OpenInferencePassthroughTest {

    private static ManagedChannel channel;

    @BeforeAll
    static void connect() throws Exception {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", TestPlatform.shared().gateway.port()).usePlaintext().build();
    }

    @AfterAll
    static void disconnect() {
        channel.shutdownNow();
    }

    @Test
    void pinnedCallsReachTheirTrackWithTheRequestIdAndTheAnswerNamesIt() {
        for (String track : new String[] {"stable", "canary"}) {
            Metadata sent = new Metadata();
            sent.put(key(Headers.TRACK), track);
            sent.put(key(Headers.REQUEST_ID), "v2-" + track);
            AtomicReference<Metadata> headers = new AtomicReference<>();
            AtomicReference<Metadata> trailers = new AtomicReference<>();
            ModelInferResponse response = stub().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(sent),
                    MetadataUtils.newCaptureMetadataInterceptor(headers, trailers)).modelInfer(infer("Lovely").build());

            assertEquals(track.equals("canary") ? "2" : "1", response.getModelVersion(), track);
            assertEquals("positive", response.getOutputs(0).getContents().getBytesContents(0).toStringUtf8());
            assertEquals(track, headers.get().get(key(Headers.TRACK)));
            assertEquals("v2-" + track, headers.get().get(key(Headers.REQUEST_ID)));
            assertNotNull(headers.get().get(key(Headers.REVISION)));
        }
    }

    @Test
    void healthMetadataAndErrorsPassThrough() {
        assertTrue(stub().serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        assertTrue(stub().serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        assertEquals("onnxruntime_onnx",
                stub().modelMetadata(ModelMetadataRequest.newBuilder().setName("sentiment").build()).getPlatform());

        StatusRuntimeException notFound = assertThrows(StatusRuntimeException.class,
                () -> stub().modelInfer(infer("x").setModelName("nope").build()));
        assertEquals(Status.Code.NOT_FOUND, notFound.getStatus().getCode());
        StatusRuntimeException invalid = assertThrows(StatusRuntimeException.class,
                () -> stub().modelInfer(infer("x").setModelVersion("").clearInputs().build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, invalid.getStatus().getCode());
        assertTrue(invalid.getStatus().getDescription().contains("no inputs"), invalid.getStatus().getDescription());
    }

    private static GRPCInferenceServiceBlockingStub stub() {
        return GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static ModelInferRequest.Builder infer(String text) {
        return ModelInferRequest.newBuilder().setModelName("sentiment").addInputs(InferInputTensor.newBuilder()
                .setName("text").setDatatype("BYTES").addShape(1)
                .setContents(InferTensorContents.newBuilder().addBytesContents(ByteString.copyFromUtf8(text))));
    }

    private static Metadata.Key<String> key(String name) {
        return Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    }
}
