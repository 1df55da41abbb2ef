package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.p2pchat.testing.LoopbackPair;
import io.p2pchat.testing.TestIdentities;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for data the initiator sends right after its last flight, which the responder
 * receives while it is still verifying that flight (docs/protocol.md 5.1: "The initiator may send
 * application data right after flight 3"). The responder's verifier is held until the responder has
 * read the client's data and end of stream, so the race is deterministic.
 */
@Tag("adversarial")
class EarlyDataLoopbackTest {
    /**
     * Runs one connection: the client writes with {@code send} as soon as its own handshake
     * completes; the server verifies the client only once it has seen the end of the stream.
     */
    private static Probe run(Consumer<Channel> send) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        CountDownLatch serverSawEnd = new CountDownLatch(1);
        CountDownLatch clientDone = new CountDownLatch(1);
        Probe server = new Probe(false);
        PeerVerifier slow =
                peer -> {
                    try {
                        // bounded: at worst the race is not forced
                        if (clientDone.await(5, TimeUnit.SECONDS)) {
                            serverSawEnd.await(50, TimeUnit.MILLISECONDS); // before the fix: FIN
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                };
        SecureChannelContext bob =
                SecureChannelContext.builder(TestIdentities.get("bob")).peerVerifier(slow).build();
        SecureChannelContext alice =
                SecureChannelContext.builder(TestIdentities.get("alice"))
                        .peerVerifier(PeerVerifier.insecureAcceptAny())
                        .build();
        try {
            Channel listener =
                    new ServerBootstrap()
                            .group(group)
                            .channel(NioServerSocketChannel.class)
                            .childHandler(
                                    new ChannelInitializer<Channel>() {
                                        @Override
                                        protected void initChannel(Channel ch) {
                                            ch.pipeline()
                                                    .addLast(
                                                            new ChannelInboundHandlerAdapter() {
                                                                @Override
                                                                public void channelInactive(
                                                                        ChannelHandlerContext ctx) {
                                                                    serverSawEnd.countDown();
                                                                    ctx.fireChannelInactive();
                                                                }
                                                            });
                                            bob.addHandlers(ch.pipeline(), Role.RESPONDER);
                                            ch.pipeline().addLast(server);
                                        }
                                    })
                            .bind(new InetSocketAddress("127.0.0.1", 0))
                            .sync()
                            .channel();
            // The handshake's future is taken while the pipeline is built: the handler may be gone
            // by the time connect() returns.
            LoopbackPair.Connection c =
                    LoopbackPair.dial(
                            group,
                            (InetSocketAddress) listener.localAddress(),
                            alice,
                            new Probe(false));
            Channel client = c.channel();
            client.closeFuture().addListener(f -> clientDone.countDown());
            c.handshake().addListener(f -> send.accept(client));
            await().atMost(Duration.ofSeconds(20)).until(server::isInactive);
            listener.close().sync();
            return server;
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void earlyData_messageThenClose_isDeliveredAndEndIsClean() throws Exception {
        Probe server =
                run(
                        ch -> {
                            ch.writeAndFlush(Unpooled.wrappedBuffer("hello".getBytes()));
                            ch.close();
                        });
        assertThat(server.failureCode()).isEmpty();
        assertThat(server.messages).containsExactly("hello".getBytes());
        assertThat(server.closed()).hasValueSatisfying(e -> assertThat(e.isClean()).isTrue());
    }

    @Test
    void earlyData_recordLargerThanHandshakeFrameLimit_isDelivered() throws Exception {
        Probe server =
                run(
                        ch -> {
                            ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[60_000]));
                            ch.close();
                        });
        assertThat(server.failureCode()).isEmpty();
        assertThat(server.messages).singleElement().satisfies(m -> assertThat(m).hasSize(60_000));
    }

    @Test
    void earlyData_burstOfSmallWrites_isDeliveredInOrder() throws Exception {
        Probe server =
                run(
                        ch -> {
                            for (int i = 0; i < 500; i++) {
                                ch.write(Unpooled.buffer(4).writeInt(i));
                            }
                            ch.flush();
                            ch.close();
                        });
        assertThat(server.failureCode()).isEmpty();
        // Writes queued before a flush share records (a byte stream): check the stream's order.
        io.netty.buffer.ByteBuf stream = Unpooled.buffer();
        server.messages.forEach(stream::writeBytes);
        assertThat(stream.readableBytes()).isEqualTo(500 * 4);
        for (int i = 0; i < 500; i++) {
            assertThat(stream.readInt()).isEqualTo(i);
        }
    }

    @Test
    void earlyData_truncatedAfterData_dataDeliveredThenTruncated() throws Exception {
        Probe server =
                run(
                        ch -> {
                            ch.writeAndFlush(Unpooled.wrappedBuffer("partial".getBytes()));
                            // FIN without an authenticated close (the close alert cannot follow)
                            ((io.netty.channel.socket.SocketChannel) ch)
                                    .shutdownOutput()
                                    .addListener(f -> ch.close());
                        });
        assertThat(server.messages).containsExactly("partial".getBytes());
        assertThat(server.failureCode()).contains(ErrorCode.TRUNCATED);
    }
}
