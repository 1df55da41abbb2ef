package io.p2pchat.example;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.p2pchat.channel.HandshakeCompletionEvent;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.verify.PinnedKeysVerifier;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The library example of README.md, as real code: two peers that pin each other's keys, a secure
 * channel between them in ordinary Netty pipelines, and one message each way. {@code
 * LibraryExampleTest} runs it and checks that README.md shows exactly the lines between the {@code
 * README} markers.
 */
public final class LibraryExample {
    private LibraryExample() {}

    /** Runs the example; returns what bob answered. */
    public static String run() throws Exception {
        // README:begin
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        try {
            LocalIdentity alice = LocalIdentity.generate(); // RSA-3072; IdentityStore saves it
            LocalIdentity bob = LocalIdentity.generate();

            // Bob accepts only alice's key, and answers each message in upper case.
            SecureChannelContext bobContext =
                    SecureChannelContext.builder(bob)
                            .peerVerifier(PinnedKeysVerifier.of(alice.peerId())) // or the ledger CA
                            .build();
            Channel server =
                    new ServerBootstrap()
                            .group(group)
                            .channel(NioServerSocketChannel.class)
                            .childHandler(
                                    bobContext.initializer(
                                            Role.RESPONDER, p -> p.addLast(new Shout())))
                            .bind("127.0.0.1", 0)
                            .sync()
                            .channel();

            // Alice accepts only bob's key; her handler writes once the handshake is done.
            SecureChannelContext aliceContext =
                    SecureChannelContext.builder(alice)
                            .peerVerifier(PinnedKeysVerifier.of(bob.peerId()))
                            .build();
            CompletableFuture<String> answer = new CompletableFuture<>();
            new Bootstrap()
                    .group(group)
                    .channel(NioSocketChannel.class)
                    .handler(
                            aliceContext.initializer(
                                    Role.INITIATOR, p -> p.addLast(new Ask("hello bob", answer))))
                    .connect(server.localAddress())
                    .sync();
            return answer.get(30, TimeUnit.SECONDS); // "HELLO BOB"
        } finally {
            group.shutdownGracefully();
        }
        // README:end
    }

    /** Bob's application handler: plaintext in, plaintext out; the channel encrypts. */
    static final class Shout extends SimpleChannelInboundHandler<ByteBuf> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            String text = msg.toString(StandardCharsets.UTF_8);
            ctx.writeAndFlush(Unpooled.copiedBuffer(text.toUpperCase(), StandardCharsets.UTF_8));
        }
    }

    /** Alice's: sends a question when the handshake succeeds, completes with the answer. */
    static final class Ask extends SimpleChannelInboundHandler<ByteBuf> {
        private final String question;
        private final CompletableFuture<String> answer;

        Ask(String question, CompletableFuture<String> answer) {
            this.question = question;
            this.answer = answer;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof HandshakeCompletionEvent) {
                HandshakeCompletionEvent e = (HandshakeCompletionEvent) evt;
                if (e.isSuccess()) {
                    // The session says who answered: bob's key, as pinned.
                    ctx.writeAndFlush(Unpooled.copiedBuffer(question, StandardCharsets.UTF_8));
                } else {
                    answer.completeExceptionally(e.cause().orElseThrow());
                }
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
            answer.complete(msg.toString(StandardCharsets.UTF_8));
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            answer.completeExceptionally(cause);
            ctx.close();
        }
    }
}
