package dev.inference.server.tensor;

/** One unit a tensor model's batcher carries: a row of a batched call, or a whole unbatched call. */
public record TensorRow(TensorRequest request, int row) {

    /** Rows run together only when every input has the same shape beside the batch dimension. */
    public Object batchKey() {
        return request.batchKey();
    }
}
