package io.p2pchat.security;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.p2pchat.channel.ChannelTesting;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.KeyRotatedEvent;
import io.p2pchat.channel.PeerVerificationException;
import io.p2pchat.channel.RecordCodec;
import io.p2pchat.channel.RotationPolicy;
import io.p2pchat.channel.SecureSession;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.testing.EmbeddedPair;
import io.p2pchat.testing.TestIdentities;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Runs handshakes, ratchets, key updates, rekeys and failures with p2pchat's loggers at TRACE and
 * checks that no key material appears in any log line, exception message or toString (ATTACKS S-09,
 * CWE-532).
 */
class SecretsNotLoggedTest {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger("io.p2pchat");
    private Level previous;
    private final List<byte[]> secrets = new ArrayList<>();
    private final List<String> texts = new ArrayList<>();

    @BeforeEach
    void capture() {
        previous = logger.getLevel();
        logger.setLevel(Level.TRACE);
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void release() {
        logger.detachAppender(appender);
        logger.setLevel(previous);
    }

    /** Records the live traffic secrets of both sides at every key change. */
    private final class SecretSnooper extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            RecordCodec codec = ctx.pipeline().get(RecordCodec.class);
            if (codec != null && ChannelTesting.writer(codec) != null) {
                secrets.add(ChannelTesting.writer(codec).trafficSecretForTesting());
                secrets.add(ChannelTesting.reader(codec).trafficSecretForTesting());
            }
            if (evt instanceof KeyRotatedEvent
                    || evt instanceof io.p2pchat.channel.HandshakeCompletionEvent) {
                texts.add(evt.toString());
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            texts.add(String.valueOf(cause));
            ctx.fireExceptionCaught(cause);
        }
    }

    @Test
    void handshakeRotationRekeyAndFailures_logNoKeyMaterial() {
        LocalIdentity alice = TestIdentities.get("alice");
        LocalIdentity bob = TestIdentities.get("bob");
        RotationPolicy policy = RotationPolicy.DEFAULT.withRatchetIntervalRecords(2);
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(alice).rotationPolicy(policy).build(),
                        EmbeddedPair.context(bob).rotationPolicy(policy).build())) {
            pair.initiator
                    .pipeline()
                    .addAfter(
                            io.p2pchat.channel.SecureChannelContext.RECORD_HANDLER,
                            "snoop",
                            new SecretSnooper());
            pair.responder
                    .pipeline()
                    .addAfter(
                            io.p2pchat.channel.SecureChannelContext.RECORD_HANDLER,
                            "snoop",
                            new SecretSnooper());
            SecureSession s = pair.handshake().orElseThrow();
            secrets.add(s.exportKeyingMaterial("p2pchat test", new byte[0], 32));
            texts.add(s.toString());
            texts.add(s.stats().toString());
            for (int i = 0; i < 10; i++) {
                pair.sendFromInitiator(new byte[] {(byte) i});
                pair.sendFromResponder(new byte[] {(byte) i});
            }
            s.rotateKeys(true);
            pair.pump();
            s.rekey();
            pair.pump();
            pair.sendFromInitiator(new byte[] {1});
            secrets.add(
                    ChannelTesting.writer(pair.initiator.pipeline().get(RecordCodec.class))
                            .trafficSecretForTesting());
            texts.add(
                    ChannelTesting.writer(pair.initiator.pipeline().get(RecordCodec.class))
                            .toString());
            // a tampered record: failure path at TRACE
            pair.tap((d, i, f) -> EmbeddedPair.flipBit(f, f.readableBytes() * 8 - 1));
            pair.initiator.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {9}));
            pair.pump();
            assertThat(pair.responderApp.failureCode()).contains(ErrorCode.BAD_RECORD_MAC);
        }
        // a verifier rejection
        try (EmbeddedPair pair =
                new EmbeddedPair(
                        EmbeddedPair.context(alice)
                                .peerVerifier(
                                        p -> {
                                            throw new PeerVerificationException(
                                                    ErrorCode.UNKNOWN_IDENTITY, "no");
                                        })
                                .build(),
                        EmbeddedPair.context(bob).build())) {
            pair.handshake();
            texts.add(
                    String.valueOf(
                            pair.initiatorApp.completion().orElseThrow().cause().orElseThrow()));
        }
        for (LocalIdentity id : List.of(alice, bob)) {
            secrets.add(id.privateKey().getEncoded());
            secrets.add(((RSAPrivateCrtKey) id.privateKey()).getPrivateExponent().toByteArray());
            texts.add(id.toString());
        }
        assertThat(secrets).hasSizeGreaterThan(20);
        List<String> logged = new ArrayList<>(texts);
        for (ILoggingEvent e : appender.list) {
            logged.add(e.getFormattedMessage());
            if (e.getThrowableProxy() != null) {
                logged.add(ThrowableProxyUtil.asString(e.getThrowableProxy()));
            }
        }
        assertThat(appender.list).as("the test must actually produce log lines").isNotEmpty();
        String all = String.join("\n", logged).toLowerCase(java.util.Locale.ROOT);
        for (byte[] secret : secrets) {
            // Any 12-byte window of a secret, in hex or Base64, is enough to count as a leak.
            for (int off = 0; off + 12 <= secret.length; off += 12) {
                byte[] window = java.util.Arrays.copyOfRange(secret, off, off + 12);
                assertThat(all).doesNotContain(HexFormat.of().formatHex(window));
                assertThat(all)
                        .doesNotContain(
                                Base64.getEncoder()
                                        .encodeToString(window)
                                        .toLowerCase(java.util.Locale.ROOT));
            }
        }
    }
}
