package io.p2pchat.node;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.p2pchat.channel.DelimitedProtobufDecoder;
import io.p2pchat.channel.DelimitedProtobufEncoder;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.HandshakeCompletionEvent;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.channel.SecureChannelException;
import io.p2pchat.channel.SecureSession;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.proto.GetNetworkParameters;
import io.p2pchat.proto.NodeMessage;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The joiner's side of network-parameter discovery (docs/ledger.md §11.7):
 *
 * <pre>
 * joiner (no network id)                          member (bound, serves parameters)
 * HELLO{ network_id = empty }           -------->
 *                                       &lt;--------  HELLO{ network_id = N }, HANDSHAKE{ Auth }
 * HANDSHAKE{ Auth }                     -------->
 * NodeMessage{ get_network_parameters } -------->
 *                                       &lt;--------  NodeMessage{ network_parameters{ P } }, close
 * check SHA-256(tag || P) == N (and N == expected, if given)
 * </pre>
 */
final class NetworkParametersClient {
    /** Parameters are a few hundred bytes; nothing bigger is read. */
    private static final int MAX_RESPONSE_BYTES = 4096;

    /**
     * The joiner does not know the member's key: any key that proves possession in the handshake is
     * accepted. What authenticates the parameters is the network id in the member's signed hello,
     * checked against the parameters' hash (and, when given, against an expected id).
     */
    private static final PeerVerifier ANY_MEMBER = PeerVerifier.insecureAcceptAny();

    private NetworkParametersClient() {}

    static CompletableFuture<NetworkParameters> fetch(
            LocalIdentity identity,
            InetSocketAddress member,
            byte @Nullable [] expectedNetworkId,
            Duration timeout) {
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(timeout, "timeout");
        if (expectedNetworkId != null && expectedNetworkId.length != 32) {
            throw new IllegalArgumentException(
                    "expectedNetworkId length: " + expectedNetworkId.length + " (expected: 32)");
        }
        byte[] expected = expectedNetworkId == null ? null : expectedNetworkId.clone();
        CompletableFuture<NetworkParameters> result = new CompletableFuture<>();
        SecureChannelContext context =
                SecureChannelContext.builder(identity)
                        .discoverNetwork(true)
                        .peerVerifier(ANY_MEMBER)
                        .handshakeTimeout(timeout)
                        .build();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Bootstrap b =
                new Bootstrap()
                        .group(group)
                        .channel(NioSocketChannel.class)
                        .option(
                                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                                (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                        .handler(
                                new ChannelInitializer<Channel>() {
                                    @Override
                                    protected void initChannel(Channel ch) {
                                        context.addHandlers(ch.pipeline(), Role.INITIATOR);
                                        ch.pipeline()
                                                .addLast(
                                                        new DelimitedProtobufDecoder(
                                                                NodeMessage.getDefaultInstance(),
                                                                MAX_RESPONSE_BYTES))
                                                .addLast(DelimitedProtobufEncoder.INSTANCE)
                                                .addLast(new Exchange(expected, result));
                                    }
                                });
        b.connect(member)
                .addListener(
                        f -> {
                            if (!f.isSuccess()) {
                                result.completeExceptionally(f.cause());
                            }
                        });
        group.schedule(
                () ->
                        result.completeExceptionally(
                                new SecureChannelException(
                                        ErrorCode.HANDSHAKE_TIMEOUT,
                                        "no network parameters from "
                                                + member
                                                + " within "
                                                + timeout.toMillis()
                                                + " ms")),
                timeout.toMillis(),
                TimeUnit.MILLISECONDS);
        // Whatever the outcome, the channel and the group go away.
        result.whenComplete((p, e) -> group.shutdownGracefully(0, 1, TimeUnit.SECONDS));
        return result;
    }

    /** Asks once the handshake is done; checks and completes on the answer. */
    private static final class Exchange extends ChannelInboundHandlerAdapter {
        private final byte @Nullable [] expected;
        private final CompletableFuture<NetworkParameters> result;
        private byte @Nullable [] announced;

        Exchange(byte @Nullable [] expected, CompletableFuture<NetworkParameters> result) {
            this.expected = expected;
            this.result = result;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof HandshakeCompletionEvent) {
                HandshakeCompletionEvent e = (HandshakeCompletionEvent) evt;
                if (!e.isSuccess()) {
                    result.completeExceptionally(e.cause().orElseThrow());
                    ctx.close();
                    return;
                }
                SecureSession session = e.session().orElseThrow();
                byte[] id = session.peerNetworkId();
                if (id.length == 0) {
                    fail(ctx, ErrorCode.WRONG_NETWORK, "the peer belongs to no ledger network");
                    return;
                }
                if (expected != null && !Arrays.equals(expected, id)) {
                    fail(
                            ctx,
                            ErrorCode.WRONG_NETWORK,
                            "the peer is on network "
                                    + HexFormat.of().formatHex(id)
                                    + ", not the expected "
                                    + HexFormat.of().formatHex(expected));
                    return;
                }
                announced = id;
                ctx.writeAndFlush(
                        NodeMessage.newBuilder()
                                .setGetNetworkParameters(GetNetworkParameters.getDefaultInstance())
                                .build());
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof NodeMessage)
                    || ((NodeMessage) msg).getBodyCase() != NodeMessage.BodyCase.NETWORK_PARAMETERS
                    || announced == null) {
                ReferenceCountUtil.release(msg);
                fail(ctx, ErrorCode.UNEXPECTED_MESSAGE, "unexpected answer to a parameter request");
                return;
            }
            byte[] encoding =
                    ((NodeMessage) msg).getNetworkParameters().getEncoding().toByteArray();
            NetworkParameters params;
            try {
                params = NetworkParameters.decode(encoding);
            } catch (IllegalArgumentException | IllegalStateException e) {
                fail(ctx, ErrorCode.MALFORMED, "undecodable network parameters: " + e.getMessage());
                return;
            }
            if (!Arrays.equals(params.networkId(), announced)) {
                fail(
                        ctx,
                        ErrorCode.WRONG_NETWORK,
                        "the parameters received hash to "
                                + params.networkIdHex()
                                + ", not to the network id the peer announced");
                return;
            }
            result.complete(params);
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            result.completeExceptionally(
                    new SecureChannelException(
                            ErrorCode.TRUNCATED,
                            "the peer closed the connection before sending the network"
                                    + " parameters"));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.completeExceptionally(cause);
            ctx.close();
        }

        private void fail(ChannelHandlerContext ctx, ErrorCode code, String message) {
            result.completeExceptionally(new SecureChannelException(code, message));
            ctx.close();
        }
    }
}
