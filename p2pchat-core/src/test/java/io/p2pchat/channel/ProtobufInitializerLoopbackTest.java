package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.p2pchat.proto.ChatMessage;
import io.p2pchat.testing.TestIdentities;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Protobuf application messages on top of the secure channel, larger than one record. */
class ProtobufInitializerLoopbackTest {
    @Test
    void protobufMessages_largerThanARecord_arriveWhole() throws Exception {
        SecureChannelContext server =
                SecureChannelContext.builder(TestIdentities.get("bob"))
                        .peerVerifier(PeerVerifier.insecureAcceptAny())
                        .build();
        SecureChannelContext client =
                SecureChannelContext.builder(TestIdentities.get("alice"))
                        .peerVerifier(PeerVerifier.insecureAcceptAny())
                        .build();
        BlockingQueue<ChatMessage> received = new LinkedBlockingQueue<>();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try {
            Channel listener =
                    new ServerBootstrap()
                            .group(group)
                            .channel(NioServerSocketChannel.class)
                            .childHandler(
                                    server.protobufInitializer(
                                            Role.RESPONDER,
                                            ChatMessage.getDefaultInstance(),
                                            1 << 20,
                                            p ->
                                                    p.addLast(
                                                            new SimpleChannelInboundHandler<
                                                                    ChatMessage>() {
                                                                @Override
                                                                protected void channelRead0(
                                                                        ChannelHandlerContext ctx,
                                                                        ChatMessage m) {
                                                                    received.add(m);
                                                                }
                                                            })))
                            .bind(new InetSocketAddress("127.0.0.1", 0))
                            .sync()
                            .channel();
            Channel ch =
                    new Bootstrap()
                            .group(group)
                            .channel(NioSocketChannel.class)
                            .handler(
                                    client.protobufInitializer(
                                            Role.INITIATOR,
                                            ChatMessage.getDefaultInstance(),
                                            1 << 20,
                                            p -> {}))
                            .connect(listener.localAddress())
                            .sync()
                            .channel();
            String big = "x".repeat(200_000); // spans several records
            ch.writeAndFlush(
                    ChatMessage.newBuilder()
                            .setMessageId(ByteString.copyFrom(new byte[16]))
                            .setText("small")
                            .build());
            ch.writeAndFlush(
                    ChatMessage.newBuilder()
                            .setMessageId(ByteString.copyFrom(new byte[16]))
                            .setText(big)
                            .build());
            assertThat(received.poll(20, TimeUnit.SECONDS).getText()).isEqualTo("small");
            assertThat(received.poll(20, TimeUnit.SECONDS).getText()).isEqualTo(big);
            ch.close().sync();
            listener.close().sync();
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
        }
    }
}
