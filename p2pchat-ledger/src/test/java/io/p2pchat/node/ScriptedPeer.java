package io.p2pchat.node;

import com.google.protobuf.ByteString;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.p2pchat.channel.DelimitedProtobufDecoder;
import io.p2pchat.channel.DelimitedProtobufEncoder;
import io.p2pchat.channel.HandshakeCompletionEvent;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.proto.LedgerMessage;
import io.p2pchat.proto.NodeMessage;
import io.p2pchat.proto.Status;
import io.p2pchat.testing.TestIdentities;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * A scripted ledger peer for sync attacks (ATTACKS L-16, R-07, R-10): it completes a real handshake
 * with a node, then answers each {@link LedgerMessage} it receives with whatever its script sends
 * (lies, stalls, gaps, floods). Everything it receives is recorded.
 */
final class ScriptedPeer implements AutoCloseable {
    final TestNetwork net;
    final LocalIdentity identity;
    final String host;
    final List<LedgerMessage> received = new CopyOnWriteArrayList<>();
    final Channel channel;

    private ScriptedPeer(
            TestNetwork net,
            Node target,
            String host,
            String name,
            BiConsumer<ScriptedPeer, LedgerMessage> script)
            throws Exception {
        this.net = net;
        this.identity = TestIdentities.get(name);
        this.host = host;
        CompletableFuture<Void> ready = new CompletableFuture<>();
        this.channel =
                dial(
                        net,
                        target,
                        host,
                        identity,
                        (ch, event) -> ready.complete(null),
                        m -> {
                            if (m.hasLedger()) {
                                received.add(m.getLedger());
                                script.accept(this, m.getLedger());
                            }
                        });
        ready.get(10, TimeUnit.SECONDS);
    }

    /**
     * Dials {@code target} from {@code host} as {@code id} with the node's message framing and no
     * node behind it: {@code onHandshake} sees the handshake's completion event (success or not),
     * {@code onRead} every message the node sends; an exception closes the channel.
     */
    static Channel dial(
            TestNetwork net,
            Node target,
            String host,
            LocalIdentity id,
            BiConsumer<Channel, HandshakeCompletionEvent> onHandshake,
            Consumer<NodeMessage> onRead)
            throws InterruptedException {
        SecureChannelContext ctx =
                SecureChannelContext.builder(id)
                        .networkId(net.params.networkId())
                        .peerVerifier(PeerVerifier.insecureAcceptAny())
                        .build();
        return new Bootstrap()
                .group(net.group)
                .channel(NioSocketChannel.class)
                .localAddress(new InetSocketAddress(host, 0))
                .handler(
                        ctx.initializer(
                                Role.INITIATOR,
                                p -> {
                                    p.addLast(
                                            new DelimitedProtobufDecoder(
                                                    NodeMessage.getDefaultInstance(), 8 << 20));
                                    p.addLast(DelimitedProtobufEncoder.INSTANCE);
                                    p.addLast(
                                            new ChannelInboundHandlerAdapter() {
                                                @Override
                                                public void userEventTriggered(
                                                        ChannelHandlerContext c, Object evt) {
                                                    if (evt instanceof HandshakeCompletionEvent e) {
                                                        onHandshake.accept(c.channel(), e);
                                                    }
                                                }

                                                @Override
                                                public void channelRead(
                                                        ChannelHandlerContext c, Object msg) {
                                                    if (msg instanceof NodeMessage m) {
                                                        onRead.accept(m);
                                                    }
                                                }

                                                @Override
                                                public void exceptionCaught(
                                                        ChannelHandlerContext c, Throwable cause) {
                                                    c.close();
                                                }
                                            });
                                }))
                .connect(target.localAddress())
                .sync()
                .channel();
    }

    /** Connects to {@code target} from {@code host} as identity {@code name}, running a script. */
    static ScriptedPeer connect(
            TestNetwork net,
            Node target,
            String host,
            String name,
            BiConsumer<ScriptedPeer, LedgerMessage> script)
            throws Exception {
        return new ScriptedPeer(net, target, host, name, script);
    }

    /** Sends a ledger message with our network id. */
    void send(LedgerMessage.Builder m) {
        channel.writeAndFlush(MisbehaviourTest.ledger(net, m));
    }

    /** A Status claiming {@code tip} at {@code height} with {@code work}. */
    static LedgerMessage.Builder status(BlockHeader tip, BigInteger work) {
        return LedgerMessage.newBuilder()
                .setStatus(
                        Status.newBuilder()
                                .setTipHash(ByteString.copyFrom(tip.hash().toBytes()))
                                .setTipHeight(tip.height())
                                .setTotalWork(ByteString.copyFrom(work.toByteArray())));
    }

    /** How many received messages had this body. */
    long count(LedgerMessage.BodyCase body) {
        return received.stream().filter(m -> m.getBodyCase() == body).count();
    }

    boolean isBannedBy(Node n) {
        return n.isBanned(identity.peerId().toHex());
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
    }
}
