package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.p2pchat.testing.LoopbackPair;
import io.p2pchat.testing.TestIdentities;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Rotation under concurrent two-way load over real loopback sockets. */
class ConcurrentRotationLoopbackTest {
    private static final int MESSAGES = 100_000;

    /** Counts messages and checks they arrive in order (each carries its index). */
    static final class Counter extends ChannelInboundHandlerAdapter {
        final AtomicLong received = new AtomicLong();
        final AtomicLong outOfOrder = new AtomicLong();
        final AtomicLong rotations = new AtomicLong();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            try {
                while (buf.readableBytes() >= 4) {
                    if (buf.readInt() != received.getAndIncrement()) {
                        outOfOrder.incrementAndGet();
                    }
                }
            } finally {
                buf.release();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof KeyRotatedEvent) {
                rotations.incrementAndGet();
            }
        }
    }

    private static SecureChannelContext context(String name) {
        return SecureChannelContext.builder(TestIdentities.get(name))
                .peerVerifier(PeerVerifier.insecureAcceptAny())
                .recordDigest(true)
                .build();
    }

    /**
     * Writes {@code count} 4-byte messages, flushing every 8 (the record layer seals each batch
     * into one record), honouring writability.
     */
    private static void blast(Channel ch, int count) {
        ch.eventLoop()
                .execute(
                        new Runnable() {
                            int next;

                            @Override
                            public void run() {
                                while (next < count) {
                                    ch.write(Unpooled.buffer(4).writeInt(next++));
                                    if (next % 8 == 0) {
                                        ch.flush();
                                        if (!ch.isWritable()) {
                                            ch.eventLoop().schedule(this, 1, TimeUnit.MILLISECONDS);
                                            return;
                                        }
                                    }
                                }
                                ch.flush();
                            }
                        });
    }

    @Test
    void ratchet_underConcurrentTwoWayLoad_staysInStepAndFingerprintsMatch() throws Exception {
        Counter responderApp = new Counter();
        Counter initiatorApp = new Counter();
        try (LoopbackPair net = new LoopbackPair(context("bob"), () -> responderApp)) {
            LoopbackPair.Connection c = net.connectAndHandshake(context("alice"), initiatorApp);
            Channel a = c.channel();
            SecureSession sa = c.handshake().get(10, TimeUnit.SECONDS);
            Channel b = net.nextAccepted();
            await().atMost(Duration.ofSeconds(10)).until(() -> SecureSession.of(b).isPresent());
            SecureSession sb = SecureSession.of(b).orElseThrow();
            blast(a, MESSAGES);
            blast(b, MESSAGES);
            await().atMost(Duration.ofSeconds(120))
                    .until(
                            () ->
                                    responderApp.received.get() == MESSAGES
                                            && initiatorApp.received.get() == MESSAGES);
            assertThat(responderApp.outOfOrder.get()).isZero();
            assertThat(initiatorApp.outOfOrder.get()).isZero();
            // Both directions ratcheted every 8 records, in step.
            await().atMost(Duration.ofSeconds(10))
                    .until(
                            () ->
                                    sa.stats().sendEpoch() == sb.stats().receiveEpoch()
                                            && sb.stats().sendEpoch() == sa.stats().receiveEpoch());
            // Every flush of 8 writes made at least one record.
            assertThat(sa.stats().recordsSent()).isGreaterThanOrEqualTo(MESSAGES / 8);
            assertThat(sa.stats().sendEpoch()).isEqualTo(1 + sa.stats().recordsSent() / 8);
            assertThat(sb.stats().sendEpoch()).isEqualTo(1 + sb.stats().recordsSent() / 8);
            assertThat(responderApp.rotations.get())
                    .isGreaterThanOrEqualTo(sa.stats().sendEpoch() - 1);
            assertThat(sa.recordDigest().orElseThrow().fingerprint())
                    .isEqualTo(sb.recordDigest().orElseThrow().fingerprint());
            a.close().sync();
        }
    }
}
