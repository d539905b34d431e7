package dev.inference.server;

import io.grpc.ManagedChannel;
import io.grpc.ServerBuilder;
import java.util.concurrent.Executor;

/**
 * The gRPC transport a server runs on: Netty on a port ({@link NettyTransport}), or grpc-java's
 * in-process transport in tests. Nothing is allocated before {@link #serverBuilder()}, which the
 * server calls when it starts.
 */
public interface ServerTransport extends AutoCloseable {

    /** A builder for the server on this transport; called once, by {@link InferenceServer#start()}. */
    ServerBuilder<?> serverBuilder();

    /** A channel to the server started on this transport, for its warm-up; {@code port} is the port it bound. */
    ManagedChannel channelToSelf(int port);

    /**
     * Where the answer to a call that arrived on the current thread is best written from, asked
     * on the thread that runs the call's handler.
     */
    Executor replies();

    /** After the server has terminated. */
    @Override
    void close();
}
