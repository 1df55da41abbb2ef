package io.p2pchat.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The transport every side shares: NIO event loops (two threads for servers, two for clients),
 * Netty's default pooled allocator, the same write-buffer water marks, 127.0.0.1 only.
 */
final class Loopback implements AutoCloseable {
    /** Water marks of every channel: room for many 16 KiB messages before writes pause. */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(256 << 10, 1 << 20);

    private final EventLoopGroup serverGroup =
            new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final EventLoopGroup clientGroup =
            new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());

    /** Binds a server on an ephemeral port of 127.0.0.1. */
    Channel bind(ChannelInitializer<Channel> initializer) throws InterruptedException {
        return new ServerBootstrap()
                .group(serverGroup)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(initializer)
                .bind(new InetSocketAddress("127.0.0.1", 0))
                .sync()
                .channel();
    }

    /** A client bootstrap to {@code server}. */
    Bootstrap client(Channel server, ChannelInitializer<Channel> initializer) {
        return new Bootstrap()
                .group(clientGroup)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .remoteAddress(server.localAddress())
                .handler(initializer);
    }

    @Override
    public void close() {
        serverGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        clientGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Sleeps for a measurement window; the harness measures time, it does not synchronise. */
    static void window(long millis) throws InterruptedException {
        Thread.sleep(millis);
    }
}
