package dev.inference.server;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server's Netty event loops, owned here rather than left to grpc-java's shared default
 * so that a call's answer can be handed to the loop that carries its connection: a worker thread
 * that writes the answer itself makes Netty wake the loop (an eventfd write) for each of the
 * headers, message and trailers, where a task run on the loop writes all three and flushes once.
 */
final class EventLoops implements AutoCloseable {

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Class<? extends ServerChannel> channelType;

    private EventLoops(EventLoopGroup boss, EventLoopGroup workers, Class<? extends ServerChannel> channelType) {
        this.boss = boss;
        this.workers = workers;
        this.channelType = channelType;
    }

    /** Epoll where the native transport loads (Linux), NIO elsewhere; as many loops as Netty's default. */
    static EventLoops create() {
        DefaultThreadFactory acceptor = new DefaultThreadFactory("grpc-accept", true);
        DefaultThreadFactory loops = new DefaultThreadFactory("grpc-event-loop", true);
        return Epoll.isAvailable()
                ? new EventLoops(new EpollEventLoopGroup(1, acceptor), new EpollEventLoopGroup(0, loops),
                        EpollServerSocketChannel.class)
                : new EventLoops(new NioEventLoopGroup(1, acceptor), new NioEventLoopGroup(0, loops),
                        NioServerSocketChannel.class);
    }

    NettyServerBuilder serverBuilder(InetSocketAddress address) {
        return NettyServerBuilder.forAddress(address)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .channelType(channelType);
    }

    /**
     * The event loop this thread runs, where a handler (run on the transport's thread) is called;
     * on any other thread the caller's own thread, as there is no loop to hand to.
     */
    Executor current() {
        for (EventExecutor loop : workers) {
            if (loop.inEventLoop()) {
                return loop;
            }
        }
        return MoreExecutors.directExecutor();
    }

    /** After the gRPC server has terminated: nothing is left for the loops to write. */
    @Override
    public void close() {
        boss.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
