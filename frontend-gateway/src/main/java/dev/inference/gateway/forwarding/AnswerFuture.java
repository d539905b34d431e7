package dev.inference.gateway.forwarding;

import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.CompletableFuture;

/**
 * The one answer of a forwarded call that arrived as REST, as a future: what the gateway's
 * forwarding writes to a gRPC observer. A client that goes away cancels the upstream call.
 */
final class AnswerFuture<R> extends ServerCallStreamObserver<R> {

    final CompletableFuture<R> answer = new CompletableFuture<>();
    private volatile Runnable onCancel = () -> { };

    void cancel() {
        onCancel.run();
    }

    @Override
    public void onNext(R value) {
        answer.complete(value);
    }

    @Override
    public void onError(Throwable error) {
        answer.completeExceptionally(error);
    }

    @Override
    public void onCompleted() {
        // The answer came with onNext.
    }

    @Override
    public boolean isCancelled() {
        return answer.isCancelled();
    }

    @Override
    public void setOnCancelHandler(Runnable handler) {
        onCancel = handler;
    }

    @Override
    public void setCompression(String compression) {
        // Not a gRPC response.
    }

    @Override
    public boolean isReady() {
        return true;
    }

    @Override
    public void setOnReadyHandler(Runnable handler) {
        // Unary: never asked.
    }

    @Override
    public void request(int count) {
        // Unary: never asked.
    }

    @Override
    public void setMessageCompression(boolean enable) {
        // Not a gRPC response.
    }

    @Override
    public void disableAutoInboundFlowControl() {
        // Unary: never asked.
    }
}
