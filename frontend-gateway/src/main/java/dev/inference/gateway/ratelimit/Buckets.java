package dev.inference.gateway.ratelimit;

import io.github.bucket4j.ConsumptionProbe;
import java.util.concurrent.CompletableFuture;

/** Token buckets by client id: in this process, or shared by every gateway through Redis. */
interface Buckets extends AutoCloseable {

    /**
     * Takes one call from the client's bucket, or says how long until there is one; never fails
     * (a bucket that cannot be reached is decided another way).
     */
    CompletableFuture<ConsumptionProbe> take(String client);

    @Override
    default void close() {}
}
