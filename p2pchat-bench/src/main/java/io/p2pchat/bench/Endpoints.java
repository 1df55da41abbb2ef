package io.p2pchat.bench;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslProvider;
import io.p2pchat.channel.CipherSuite;
import io.p2pchat.channel.HandshakeCompletionEvent;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.RotationPolicy;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.verify.PinnedKeysVerifier;
import java.security.cert.X509Certificate;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * Builds both ends of every {@link Side}, so that all sides share the same framing, allocator,
 * event loops and JVM:
 *
 * <ul>
 *   <li>plain: {@code LengthFieldBasedFrameDecoder} + {@code LengthFieldPrepender} (4-byte length),
 *       then the application;
 *   <li>TLS: {@code SslHandler} (TLS 1.3 only, TLS_AES_128_GCM_SHA256, mutual authentication with
 *       self-signed RSA-3072 certificates pinned by each side's trust manager), then the same
 *       framing, then the application;
 *   <li>p2pchat: {@link SecureChannelContext#addHandlers} (its own 4-byte framing and records),
 *       then the application; peers are pinned by id.
 * </ul>
 *
 * The application handler sees each message as one {@code ByteBuf}, and a {@link #READY} user event
 * once the channel is usable (after the handshake on secure sides).
 */
final class Endpoints {
    /** Fired to the application handler when the channel can carry data. */
    static final Object READY = new Object();

    /** Largest message of the plain and TLS framing. */
    static final int MAX_MESSAGE = 1 << 20;

    private final LocalIdentity serverIdentity;
    private final LocalIdentity clientIdentity;
    private final Map<Side, SecureChannelContext> p2pServer = new EnumMap<>(Side.class);
    private final Map<Side, SecureChannelContext> p2pClient = new EnumMap<>(Side.class);
    private final Map<Side, SslContext> tlsServer = new EnumMap<>(Side.class);
    private final Map<Side, SslContext> tlsClient = new EnumMap<>(Side.class);
    private final LedgerHook ledger;

    Endpoints(LocalIdentity serverIdentity, LocalIdentity clientIdentity, LedgerHook ledger)
            throws SSLException {
        this.serverIdentity = serverIdentity;
        this.clientIdentity = clientIdentity;
        this.ledger = ledger;
        for (Side side : Side.values()) {
            if (side.isP2pchat()) {
                p2pServer.put(side, p2pContext(side, serverIdentity, clientIdentity.peerId()));
                p2pClient.put(side, p2pContext(side, clientIdentity, serverIdentity.peerId()));
            }
        }
        X509Certificate serverCert = Pki.selfSigned(serverIdentity, "bench-server");
        X509Certificate clientCert = Pki.selfSigned(clientIdentity, "bench-client");
        for (Side side : List.of(Side.TLS_JDK, Side.TLS_OPENSSL)) {
            SslProvider provider = side == Side.TLS_JDK ? SslProvider.JDK : SslProvider.OPENSSL;
            if (provider == SslProvider.OPENSSL && !OpenSsl.isAvailable()) {
                continue;
            }
            List<String> ciphers = List.of("TLS_AES_128_GCM_SHA256");
            tlsServer.put(
                    side,
                    SslContextBuilder.forServer(serverIdentity.privateKey(), serverCert)
                            .sslProvider(provider)
                            .protocols("TLSv1.3")
                            .ciphers(ciphers)
                            .clientAuth(ClientAuth.REQUIRE)
                            .trustManager(clientCert)
                            .build());
            tlsClient.put(
                    side,
                    SslContextBuilder.forClient()
                            .sslProvider(provider)
                            .protocols("TLSv1.3")
                            .ciphers(ciphers)
                            .keyManager(clientIdentity.privateKey(), clientCert)
                            .trustManager(serverCert)
                            // Peers are pinned by certificate, as p2pchat pins them by id; there
                            // is no host name to check on a peer-to-peer link.
                            .endpointIdentificationAlgorithm(null)
                            .build());
        }
    }

    /** Whether {@code side} can run here (BoringSSL needs its native library). */
    boolean available(Side side) {
        return !side.isTls() || tlsServer.containsKey(side);
    }

    /** Why BoringSSL is unavailable, if it is. */
    static String openSslStatus() {
        return OpenSsl.isAvailable()
                ? OpenSsl.versionString()
                : "unavailable: " + OpenSsl.unavailabilityCause();
    }

    LocalIdentity serverIdentity() {
        return serverIdentity;
    }

    private SecureChannelContext p2pContext(Side side, LocalIdentity self, PeerId expectedPeer) {
        SecureChannelContext.Builder b =
                SecureChannelContext.builder(self)
                        .peerVerifier(ledger.verifier().orElse(pinned(expectedPeer)))
                        .delegatedCredentials(side == Side.P2PCHAT_DC)
                        .resumption(side == Side.P2PCHAT_RESUMED);
        ledger.certificateSource(self).ifPresent(b::certificateSource);
        switch (side) {
            case P2PCHAT_AES256:
                b.cipherSuites(CipherSuite.X25519_MLKEM768_AES_256_GCM_SHA256);
                break;
            case P2PCHAT_RATCHET1:
                b.rotationPolicy(RotationPolicy.DEFAULT.withRatchetIntervalRecords(1));
                break;
            case P2PCHAT_X25519:
                b.cipherSuites(CipherSuite.X25519_AES_128_GCM_SHA256);
                break;
            case P2PCHAT_RATCHET_OFF:
                b.rotationPolicy(
                        RotationPolicy.DEFAULT
                                .withRatchetIntervalRecords(RotationPolicy.MAX_RATCHET_RECORDS)
                                .withRatchetIntervalBytes(RotationPolicy.MAX_RATCHET_BYTES));
                break;
            default:
                break;
        }
        return b.build();
    }

    /** Accepts exactly one peer id, as an application with pinned keys does. */
    static PeerVerifier pinned(PeerId expected) {
        return PinnedKeysVerifier.of(expected);
    }

    /**
     * A p2pchat server initializer that accepts any authenticated peer: for the idle-session heap
     * measurement, whose far end has a fresh identity.
     */
    ChannelInitializer<Channel> serverAnyPeer(Supplier<? extends AppHandler> app) {
        SecureChannelContext any =
                SecureChannelContext.builder(serverIdentity)
                        .peerVerifier(PeerVerifier.insecureAcceptAny())
                        .handshakeTimeout(java.time.Duration.ofSeconds(60))
                        .build();
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                any.addHandlers(ch.pipeline(), Role.RESPONDER);
                AppHandler handler = app.get();
                handler.secure = true;
                ch.pipeline().addLast("app", handler);
            }
        };
    }

    /** The server-side initializer of {@code side}. */
    ChannelInitializer<Channel> server(Side side, Supplier<? extends AppHandler> app) {
        return initializer(side, true, app);
    }

    /** The client-side initializer of {@code side}. */
    ChannelInitializer<Channel> client(Side side, Supplier<? extends AppHandler> app) {
        return initializer(side, false, app);
    }

    private ChannelInitializer<Channel> initializer(
            Side side, boolean server, Supplier<? extends AppHandler> app) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ChannelPipeline p = ch.pipeline();
                if (side.isP2pchat()) {
                    (server ? p2pServer : p2pClient)
                            .get(side)
                            .addHandlers(p, server ? Role.RESPONDER : Role.INITIATOR);
                } else {
                    if (side.isTls()) {
                        // No peer host and port: the engines never resume a session, so every
                        // connection runs a full handshake.
                        SslContext ssl = (server ? tlsServer : tlsClient).get(side);
                        p.addLast("tls", ssl.newHandler(ch.alloc()));
                    }
                    p.addLast(new LengthFieldBasedFrameDecoder(MAX_MESSAGE, 0, 4, 0, 4));
                    p.addLast(new LengthFieldPrepender(4));
                }
                AppHandler handler = app.get();
                handler.secure = side != Side.PLAIN;
                p.addLast("app", handler);
            }
        };
    }

    /**
     * Base of the harness's application handlers: turns each side's "ready" into {@link #READY}.
     */
    abstract static class AppHandler extends ChannelInboundHandlerAdapter {
        private boolean secure;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            super.channelActive(ctx);
            if (!secure) {
                ready(ctx);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent) {
                SslHandshakeCompletionEvent e = (SslHandshakeCompletionEvent) evt;
                if (e.isSuccess()) {
                    ready(ctx);
                } else {
                    failed(ctx, e.cause());
                }
            } else if (evt instanceof HandshakeCompletionEvent) {
                HandshakeCompletionEvent e = (HandshakeCompletionEvent) evt;
                if (e.isSuccess()) {
                    ready(ctx);
                } else {
                    failed(ctx, e.cause().orElse(null));
                }
            }
            io.netty.util.ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failed(ctx, cause);
        }

        /** The channel can carry data. */
        protected abstract void ready(ChannelHandlerContext ctx);

        /** The handshake or the channel failed; closes by default. */
        protected void failed(ChannelHandlerContext ctx, Throwable cause) {
            if (Boolean.getBoolean("bench.debug")) {
                System.err.println(ctx.channel() + " failed: " + cause);
            }
            ctx.close();
        }
    }
}
