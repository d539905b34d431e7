package dev.inference.loadtest.client;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Sends Predict calls to a target, over gRPC or REST. */
public interface PredictClient extends AutoCloseable {

    /** The status of a call that succeeded. */
    String OK = "OK";

    /**
     * Sends one Predict call.
     *
     * @return completes, never exceptionally, with {@link #OK} or the failure's status: a gRPC code
     *     name (from gRPC, or from a REST error body), else {@code HTTP_<status>} or the exception's
     *     simple name
     */
    CompletableFuture<String> predict(List<String> texts);

    @Override
    void close();
}
