package dev.inference.server.batching;

/**
 * What a {@link DynamicBatcher} runs: a model that gives each batcher thread a worker of its own.
 *
 * @param <I> one input of a batch, such as a text
 * @param <O> the model's output for one input
 */
@FunctionalInterface
public interface BatchModel<I, O> {

    /**
     * A worker for the calling thread, ready to serve: anything slow about a worker's first batch
     * (buffers, compiled code paths) is done here, before the batcher reports its workers started.
     */
    BatchWorker<I, O> newWorker() throws Exception;
}
