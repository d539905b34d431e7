package dev.inference.server.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.SourceCodeInfo;
import dev.inference.server.TestServer;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ReflectionTest {

    @Test
    void listsTheInferenceHealthAndReflectionServices() throws Exception {
        ServerReflectionResponse response = ask(ServerReflectionRequest.newBuilder().setListServices("*").build());

        List<String> services = response.getListServicesResponse().getServiceList().stream()
                .map(ServiceResponse::getName).toList();
        assertTrue(services.containsAll(List.of(
                "inference.v1.InferenceService", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection")),
                services.toString());
    }

    @Test
    void describesTheApiWithItsProtoComments() throws Exception {
        ServerReflectionResponse response = ask(ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol("inference.v1.InferenceService").build());

        FileDescriptorProto file = response.getFileDescriptorResponse().getFileDescriptorProtoList().stream()
                .map(bytes -> {
                    try {
                        return FileDescriptorProto.parseFrom(bytes);
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        throw new AssertionError(e);
                    }
                })
                .filter(proto -> proto.getName().equals("inference/v1/inference.proto"))
                .findFirst().orElseThrow();
        List<String> comments = file.getSourceCodeInfo().getLocationList().stream()
                .map(SourceCodeInfo.Location::getLeadingComments).toList();
        assertTrue(comments.stream().anyMatch(comment -> comment.contains("Serves text models by name and version")),
                "service comment present");
        assertTrue(comments.stream().anyMatch(comment -> comment.contains("Empty selects the model's default version")),
                "field comment present");
    }

    private static ServerReflectionResponse ask(ServerReflectionRequest request) throws Exception {
        CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(TestServer.shared().channel)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse response) {
                        answer.complete(response);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                });
        requests.onNext(request);
        ServerReflectionResponse response = answer.get(10, TimeUnit.SECONDS);
        requests.onCompleted();
        return response;
    }
}
