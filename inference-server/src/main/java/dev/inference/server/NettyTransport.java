package dev.inference.server;

import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * gRPC over Netty on a host and port, with event loops owned here rather than left to grpc-java's
 * shared default, so that a call's answer can be handed to the loop that carries its connection: a
 * worker thread that writes the answer itself makes Netty wake the loop (an eventfd write) for each
 * of the headers, message and trailers, where a task run on the loop writes all three and flushes once.
 */
public final class NettyTransport implements ServerTransport {

    private final String host;
    private final int port;
    private EventLoopGroup boss;
    private volatile EventLoopGroup workers;

    /** @param port 0 picks a free one */
    public NettyTransport(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /** Epoll where the native transport loads (Linux), NIO elsewhere; as many loops as Netty's default. */
    @Override
    public synchronized NettyServerBuilder serverBuilder() {
        DefaultThreadFactory acceptor = new DefaultThreadFactory("grpc-accept", true);
        DefaultThreadFactory loops = new DefaultThreadFactory("grpc-event-loop", true);
        Class<? extends ServerChannel> channelType;
        if (Epoll.isAvailable()) {
            boss = new EpollEventLoopGroup(1, acceptor);
            workers = new EpollEventLoopGroup(0, loops);
            channelType = EpollServerSocketChannel.class;
        } else {
            boss = new NioEventLoopGroup(1, acceptor);
            workers = new NioEventLoopGroup(0, loops);
            channelType = NioServerSocketChannel.class;
        }
        return NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .channelType(channelType);
    }

    /** Over loopback, unless the server bound one address only. */
    @Override
    public ManagedChannel channelToSelf(int boundPort) {
        InetAddress target = InetAddress.getLoopbackAddress();
        try {
            InetAddress bound = InetAddress.getByName(host);
            if (!bound.isAnyLocalAddress()) {
                target = bound;
            }
        } catch (UnknownHostException e) {
            // The port is bound, so the name resolved a moment ago; loopback is the fallback.
        }
        return NettyChannelBuilder.forAddress(new InetSocketAddress(target, boundPort))
                .usePlaintext()
                .directExecutor()
                .build();
    }

    /**
     * The event loop this thread runs, where a handler (run on the transport's thread) is called;
     * on any other thread the caller's own thread, as there is no loop to hand to.
     */
    @Override
    public Executor replies() {
        EventLoopGroup loops = workers;
        if (loops != null) {
            for (EventExecutor loop : loops) {
                if (loop.inEventLoop()) {
                    return loop;
                }
            }
        }
        return MoreExecutors.directExecutor();
    }

    /** After the gRPC server has terminated: nothing is left for the loops to write. */
    @Override
    public synchronized void close() {
        if (boss != null) {
            boss.shutdownGracefully(0, 5, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
