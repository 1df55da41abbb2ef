package io.p2pchat.node;

import static io.p2pchat.node.TestNetwork.awaitSameTip;
import static io.p2pchat.node.TestNetwork.join;
import static io.p2pchat.node.TestNetwork.mine;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.p2pchat.channel.DelimitedProtobufDecoder;
import io.p2pchat.channel.DelimitedProtobufEncoder;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.proto.NetworkParametersResponse;
import io.p2pchat.proto.NodeMessage;
import io.p2pchat.testing.TestIdentities;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Network-parameter discovery by unbound joiners (docs/ledger.md §11.7). */
class NetworkDiscoveryTest {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void newcomer_fetchesParametersFromAnyMember_thenJoinsBoundAndSyncs() throws Exception {
        NetworkParameters params = TestNetwork.params("discovery");
        try (TestNetwork net = new TestNetwork(params)) {
            List<NodePeer> seenByA = new CopyOnWriteArrayList<>();
            Node a =
                    net.start(
                            0,
                            null,
                            x ->
                                    x.application(
                                            new NodeApplicationHandler() {
                                                @Override
                                                public void onMessage(
                                                        NodePeer peer, NodeMessage m) {}

                                                @Override
                                                public void onPeerConnected(NodePeer peer) {
                                                    seenByA.add(peer);
                                                }
                                            }));
            Node b = net.start(1);
            join(b, a);
            mine(a, 3);
            awaitSameTip(Duration.ofSeconds(30), a, b);
            LocalIdentity newcomer = TestNetwork.identity(2);
            NetworkParameters fetched =
                    Node.fetchNetworkParameters(newcomer, b.localAddress(), null, TIMEOUT)
                            .get(15, TimeUnit.SECONDS);
            assertThat(fetched).isEqualTo(params);
            assertThat(fetched.encode()).isEqualTo(params.encode());
            // The unbound joiner was never a peer: not registered, not shown to the application.
            assertThat(b.peers()).hasSize(1);
            assertThat(seenByA).hasSize(1);
            // With the parameters it opens its ledger and joins, bound, through the same member.
            TestNetwork bound = new TestNetwork(fetched);
            try (bound) {
                Node c = bound.start(2);
                join(c, b);
                awaitSameTip(Duration.ofSeconds(30), a, b, c);
                assertThat(c.ledger().tip().height()).isEqualTo(3);
            }
        }
    }

    @Test
    void fetch_withExpectedIdOfAnotherNetwork_failsWrongNetwork() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("expected"))) {
            Node a = net.start(0);
            byte[] other = TestNetwork.params("other").networkId();
            assertThatThrownBy(
                            () ->
                                    Node.fetchNetworkParameters(
                                                    TestNetwork.identity(1),
                                                    a.localAddress(),
                                                    other,
                                                    TIMEOUT)
                                            .get(15, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .satisfies(
                            e -> {
                                assertThat(ErrorCode.of(e.getCause()))
                                        .isEqualTo(ErrorCode.WRONG_NETWORK);
                                assertThat(e.getCause()).hasMessageContaining("not the expected");
                            });
            // The expected id of its own network is fine.
            assertThat(
                            Node.fetchNetworkParameters(
                                            TestNetwork.identity(1),
                                            a.localAddress(),
                                            a.ledger().parameters().networkId(),
                                            TIMEOUT)
                                    .get(15, TimeUnit.SECONDS))
                    .isEqualTo(a.ledger().parameters());
        }
    }

    @Test
    void nodeNotServingParameters_refusesTheUnboundJoiner() throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("closed"))) {
            Node a = net.start(0, null, x -> x.serveNetworkParameters(false));
            assertThatThrownBy(
                            () ->
                                    Node.fetchNetworkParameters(
                                                    TestNetwork.identity(1),
                                                    a.localAddress(),
                                                    null,
                                                    TIMEOUT)
                                            .get(15, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .satisfies(
                            e ->
                                    assertThat(ErrorCode.of(e.getCause()))
                                            .isEqualTo(ErrorCode.PEER_ALERT));
        }
    }

    @Test
    void unboundJoiner_sendingAnythingElse_isClosedAndNeverReachesTheApplication()
            throws Exception {
        try (TestNetwork net = new TestNetwork(TestNetwork.params("chatty"))) {
            List<NodeMessage> delivered = new CopyOnWriteArrayList<>();
            Node a = net.start(0, null, x -> x.application((peer, m) -> delivered.add(m)));
            SecureChannelContext ctx =
                    SecureChannelContext.builder(TestIdentities.get("chatty-joiner"))
                            .discoverNetwork(true)
                            .peerVerifier(PeerVerifier.insecureAcceptAny())
                            .build();
            Channel ch =
                    new io.netty.bootstrap.Bootstrap()
                            .group(net.group)
                            .channel(io.netty.channel.socket.nio.NioSocketChannel.class)
                            .handler(
                                    ctx.initializer(
                                            Role.INITIATOR,
                                            p ->
                                                    p.addLast(
                                                            new DelimitedProtobufDecoder(
                                                                    NodeMessage
                                                                            .getDefaultInstance(),
                                                                    4096),
                                                            DelimitedProtobufEncoder.INSTANCE)))
                            .connect(a.localAddress())
                            .sync()
                            .channel();
            ch.pipeline()
                    .get(io.p2pchat.channel.HandshakeHandler.class)
                    .handshakeFuture()
                    .get(10, TimeUnit.SECONDS);
            ch.writeAndFlush(
                            NodeMessage.newBuilder()
                                    .setChat(
                                            io.p2pchat.proto.ChatMessage.newBuilder()
                                                    .setText("let me in"))
                                    .build())
                    .sync();
            assertThat(ch.closeFuture().await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(delivered).isEmpty();
            assertThat(a.peers()).isEmpty();
        }
    }

    @Test
    void memberServingParametersOfAnotherNetwork_isCaught() throws Exception {
        NetworkParameters real = TestNetwork.params("real");
        NetworkParameters forged = TestNetwork.params("forged");
        // A responder bound to `real` that answers with `forged`.
        SecureChannelContext ctx =
                SecureChannelContext.builder(TestIdentities.get("forger"))
                        .networkId(real.networkId())
                        .acceptUnboundInitiators(true)
                        .peerVerifier(PeerVerifier.insecureAcceptAny())
                        .build();
        try (TestNetwork net = new TestNetwork(real)) {
            Channel server =
                    new ServerBootstrap()
                            .group(net.group)
                            .channel(NioServerSocketChannel.class)
                            .childHandler(
                                    new ChannelInitializer<Channel>() {
                                        @Override
                                        protected void initChannel(Channel ch) {
                                            ctx.addHandlers(ch.pipeline(), Role.RESPONDER);
                                            ch.pipeline()
                                                    .addLast(
                                                            new DelimitedProtobufDecoder(
                                                                    NodeMessage
                                                                            .getDefaultInstance(),
                                                                    4096),
                                                            DelimitedProtobufEncoder.INSTANCE,
                                                            new ChannelInboundHandlerAdapter() {
                                                                @Override
                                                                public void channelRead(
                                                                        ChannelHandlerContext c,
                                                                        Object msg) {
                                                                    ReferenceCountUtil.release(msg);
                                                                    c.writeAndFlush(
                                                                            forgedAnswer(forged));
                                                                }
                                                            });
                                        }
                                    })
                            .bind(new InetSocketAddress("127.0.0.1", 0))
                            .sync()
                            .channel();
            try {
                assertThatThrownBy(
                                () ->
                                        Node.fetchNetworkParameters(
                                                        TestNetwork.identity(1),
                                                        (InetSocketAddress) server.localAddress(),
                                                        null,
                                                        TIMEOUT)
                                                .get(15, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .satisfies(
                                e -> {
                                    assertThat(ErrorCode.of(e.getCause()))
                                            .isEqualTo(ErrorCode.WRONG_NETWORK);
                                    assertThat(e.getCause())
                                            .hasMessageContaining("not to the network id");
                                });
            } finally {
                server.close().sync();
            }
        }
    }

    @Test
    void unreachableMember_failsPromptly() {
        InetSocketAddress nobody = new InetSocketAddress("127.0.0.1", 1);
        assertThatThrownBy(
                        () ->
                                Node.fetchNetworkParameters(
                                                TestNetwork.identity(1), nobody, null, TIMEOUT)
                                        .get(15, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(java.net.ConnectException.class);
    }

    static NodeMessage forgedAnswer(NetworkParameters p) {
        return NodeMessage.newBuilder()
                .setNetworkParameters(
                        NetworkParametersResponse.newBuilder()
                                .setEncoding(com.google.protobuf.ByteString.copyFrom(p.encode())))
                .build();
    }
}
