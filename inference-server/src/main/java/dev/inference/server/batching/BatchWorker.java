package dev.inference.server.batching;

import java.util.List;

/** Runs whole batches on the one thread that owns it. */
public interface BatchWorker<I, O> extends AutoCloseable {

    /** One output per input, in the order of the inputs. */
    List<O> run(List<I> batch) throws Exception;

    @Override
    default void close() {}
}
