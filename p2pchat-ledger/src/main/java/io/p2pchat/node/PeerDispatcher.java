package io.p2pchat.node;

import com.google.protobuf.ByteString;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.HandshakeCompletionEvent;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.SecureSession;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.PeerAccess;
import io.p2pchat.proto.NetworkParametersResponse;
import io.p2pchat.proto.NodeMessage;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Node}'s handler at the end of each connection's pipeline: once the handshake completes
 * it registers the peer (bans, the inbound limit, one connection per key), then passes the
 * application's messages of full-access peers to the {@link NodeApplicationHandler} and answers an
 * unbound joiner's request for the network parameters (docs/ledger.md §11.7).
 *
 * <p>Threading: one instance per channel, confined to its event loop; what it shares with the node
 * ({@link PeerTable}, {@link Dialer}, the bans) is thread-safe.
 */
final class PeerDispatcher extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(PeerDispatcher.class);

    /** How long an unbound joiner's channel may stay open (docs/ledger.md §11.7). */
    static final long UNBOUND_LIFETIME_MILLIS = 10_000;

    private final Node node;
    private final Role role;
    private final Dialer.@Nullable Dial dial;
    private final PeerId localKey;
    private final long createdNanos = System.nanoTime();
    private @Nullable ConnectedPeer peer;
    private boolean unbound;

    PeerDispatcher(Node node, Role role, Dialer.@Nullable Dial dial, PeerId localKey) {
        this.node = node;
        this.role = role;
        this.dial = dial;
        this.localKey = localKey;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof HandshakeCompletionEvent) {
            HandshakeCompletionEvent e = (HandshakeCompletionEvent) evt;
            if (e.isSuccess()) {
                established(ctx, e.session().orElseThrow());
            } else if (dial == null) {
                ErrorCode code = e.cause().map(ErrorCode::of).orElse(null);
                if (code != ErrorCode.BUSY && code != ErrorCode.INTERNAL_ERROR) {
                    // Our own overload or failure is not the address's fault.
                    node.policing.addressFailed(ctx.channel());
                }
            } else {
                node.dialer.failed(dial.address());
                dial.result().completeExceptionally(e.cause().orElseThrow());
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    private void established(ChannelHandlerContext ctx, SecureSession session) {
        PeerId key = session.peerId();
        if (session.peerNetworkId().length == 0) {
            // An unbound joiner (docs/ledger.md §11.7): it may ask for the network parameters
            // and nothing else. It is no member: not registered, not shown to the application.
            unbound = true;
            log.debug("{}: unbound joiner {}", ctx.channel(), key.shortId());
            ctx.executor()
                    .schedule(
                            () -> {
                                ctx.close();
                            },
                            UNBOUND_LIFETIME_MILLIS,
                            TimeUnit.MILLISECONDS);
            return;
        }
        if (dial != null) {
            node.dialer.succeeded(dial.address());
        }
        if (node.policing.bans.isBanned(key.toHex())) {
            log.debug("{}: peer {} is banned", ctx.channel(), key.shortId());
            if (role == Role.RESPONDER) {
                node.policing.addressFailed(ctx.channel());
            }
            ctx.close();
            fail(new IllegalStateException("peer banned"));
            return;
        }
        if (role == Role.RESPONDER && !node.peers.makeRoomFor(key, ctx.channel())) {
            ctx.close();
            return;
        }
        ConnectedPeer p =
                new ConnectedPeer(
                        node.ledger,
                        node.accessVerifier,
                        ctx.channel(),
                        session,
                        role,
                        dial == null ? null : dial.address(),
                        localKey,
                        createdNanos);
        ConnectedPeer winner = node.peers.register(p, node.identity().peerId());
        if (winner != p) {
            ctx.close();
            if (dial != null) {
                dial.result().complete(winner);
            }
            return;
        }
        peer = p;
        node.keyConnected(p);
        if (dial != null) {
            dial.result().complete(p);
        }
        log.debug("{}: peer {} connected ({}, {})", ctx.channel(), key.shortId(), role, p.access());
        try {
            node.application.onPeerConnected(p);
        } catch (RuntimeException ex) {
            log.warn("application handler failed", ex);
        }
    }

    private void fail(Throwable t) {
        if (dial != null) {
            dial.result().completeExceptionally(t);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof NodeMessage
                && ((NodeMessage) msg).getBodyCase() == NodeMessage.BodyCase.GET_NETWORK_PARAMETERS
                && (unbound || peer != null)) {
            ChannelFuture sent = ctx.writeAndFlush(parametersResponse());
            if (unbound) {
                // One answer per unbound channel, then it is closed.
                unbound = false;
                sent.addListener(f -> ctx.close());
            }
            return;
        }
        if (unbound) {
            ReferenceCountUtil.release(msg);
            log.debug("{}: unbound joiner sent something else; closing", ctx.channel());
            ctx.close();
            return;
        }
        ConnectedPeer p = peer;
        if (!(msg instanceof NodeMessage) || p == null) {
            ReferenceCountUtil.release(msg);
            log.debug("{}: dropped a message before the peer was registered", ctx.channel());
            return;
        }
        NodeMessage m = (NodeMessage) msg;
        if (m.getBodyCase() == NodeMessage.BodyCase.BODY_NOT_SET) {
            log.debug(
                    "{}: dropped a NodeMessage with no known body (a newer peer?)", ctx.channel());
            return;
        }
        if (p.access() != PeerAccess.FULL) {
            log.info(
                    "{}: dropped a {} message from sync-only peer {}",
                    ctx.channel(),
                    m.getBodyCase(),
                    p.keyId().shortId());
            return;
        }
        try {
            node.application.onMessage(p, m);
        } catch (RuntimeException ex) {
            log.warn("application handler failed on a message from {}", p.keyId().shortId(), ex);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        ConnectedPeer p = peer;
        if (p != null) {
            node.peers.remove(p);
            try {
                node.application.onPeerDisconnected(p);
            } catch (RuntimeException ex) {
                log.warn("application handler failed", ex);
            }
        } else if (dial != null) {
            node.dialer.abandoned(dial.address());
            dial.result()
                    .completeExceptionally(
                            new IllegalStateException(
                                    "connection closed before the handshake completed"));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{}: {}", ctx.channel(), cause.toString());
        ctx.close();
    }

    private NodeMessage parametersResponse() {
        return NodeMessage.newBuilder()
                .setNetworkParameters(
                        NetworkParametersResponse.newBuilder()
                                .setEncoding(
                                        ByteString.copyFrom(node.ledger.parameters().encode())))
                .build();
    }
}
