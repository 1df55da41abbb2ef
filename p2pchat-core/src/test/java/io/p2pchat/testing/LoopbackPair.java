package io.p2pchat.testing;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.Future;
import io.p2pchat.channel.HandshakeHandler;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.channel.SecureSession;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/** A responder listening on 127.0.0.1 and initiators connecting to it over real sockets. */
public final class LoopbackPair implements AutoCloseable {
    private final EventLoopGroup group =
            new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final Channel server;
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();

    public LoopbackPair(
            SecureChannelContext responderContext, Supplier<ChannelHandler> responderApp)
            throws InterruptedException {
        this(new InetSocketAddress("127.0.0.1", 0), responderContext, responderApp);
    }

    /** A responder listening on {@code bind} (such as the address of a pair closed before). */
    public LoopbackPair(
            InetSocketAddress bind,
            SecureChannelContext responderContext,
            Supplier<ChannelHandler> responderApp)
            throws InterruptedException {
        server =
                new ServerBootstrap()
                        .group(group)
                        .channel(NioServerSocketChannel.class)
                        .option(io.netty.channel.ChannelOption.SO_REUSEADDR, true)
                        .childHandler(
                                responderContext.initializer(
                                        Role.RESPONDER,
                                        p -> {
                                            accepted.add(p.channel());
                                            p.addLast(responderApp.get());
                                        }))
                        .bind(bind)
                        .sync()
                        .channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Connects an initiator and returns its channel once TCP is connected. */
    public Channel connect(SecureChannelContext initiatorContext, ChannelHandler app)
            throws InterruptedException {
        return connectAndHandshake(initiatorContext, app).channel();
    }

    /** A connected initiator channel and its handshake's future. */
    public record Connection(Channel channel, Future<SecureSession> handshake) {}

    /**
     * Connects, and returns the handshake's future with the channel. The future is taken when the
     * pipeline is built: the handshake handler removes itself once the handshake is over, which can
     * happen before {@code connect} returns (handshake steps run on the event loop), so a test must
     * not look it up in the pipeline afterwards.
     */
    public Connection connectAndHandshake(SecureChannelContext initiatorContext, ChannelHandler app)
            throws InterruptedException {
        return dial(group, address(), initiatorContext, app);
    }

    /**
     * Connects an initiator with {@code context} in {@code group} to {@code address}, {@code app}
     * last in its pipeline; the handshake's future is taken when the pipeline is built (see {@link
     * #connectAndHandshake}).
     */
    public static Connection dial(
            EventLoopGroup group,
            InetSocketAddress address,
            SecureChannelContext context,
            ChannelHandler app)
            throws InterruptedException {
        AtomicReference<Future<SecureSession>> handshake = new AtomicReference<>();
        Channel ch =
                new Bootstrap()
                        .group(group)
                        .channel(NioSocketChannel.class)
                        .handler(
                                context.initializer(
                                        Role.INITIATOR,
                                        p -> {
                                            handshake.set(
                                                    p.get(HandshakeHandler.class)
                                                            .handshakeFuture());
                                            p.addLast(app);
                                        }))
                        .connect(address)
                        .sync()
                        .channel();
        return new Connection(ch, handshake.get());
    }

    /** The next accepted responder channel. */
    public Channel nextAccepted() throws InterruptedException {
        Channel ch = accepted.poll(10, TimeUnit.SECONDS);
        if (ch == null) {
            throw new AssertionError("no connection accepted within 10 s");
        }
        return ch;
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Records everything an application handler sees. */
    public static final class Recorder extends ChannelInboundHandlerAdapter {
        public final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        public final BlockingQueue<byte[]> messages = new LinkedBlockingQueue<>();
        public final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            io.netty.buffer.ByteBuf buf = (io.netty.buffer.ByteBuf) msg;
            try {
                messages.add(io.netty.buffer.ByteBufUtil.getBytes(buf));
            } finally {
                buf.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    }
}
