package io.p2pchat.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.p2pchat.channel.CipherSuite;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.channel.Role;
import io.p2pchat.channel.RotationPolicy;
import io.p2pchat.channel.SecureChannelContext;
import io.p2pchat.channel.SecureSession;
import io.p2pchat.identity.LocalIdentity;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.SecureRandom;
import java.util.Locale;

/**
 * The CPU cost per byte of p2pchat's whole channel pipeline (record layer, ratchet, framing, the
 * receive-side cumulation), without sockets: two {@link EmbeddedChannel}s on this thread, the
 * sender's frames copied into 64 KiB direct "socket reads" for the receiver, as NIO delivers them.
 * Everything runs on the calling thread, so its CPU time is the cost, whatever the load of the
 * machine (GC and JIT threads excepted). A design tool, not part of the suite:
 *
 * <pre>
 * java -cp p2pchat-bench.jar io.p2pchat.bench.PipelineCost [MESSAGE_BYTES [ROUNDS [FLUSH_EVERY,...]]]
 * </pre>
 *
 * It compares flushing after every write (one record per 16 KiB write) with flushing every 16
 * writes (records of up to 64 KiB), interleaved, and prints ns per byte and MB per CPU-second.
 */
public final class PipelineCost {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private PipelineCost() {}

    /** Entry point. */
    public static void main(String[] args) throws Exception {
        int message = args.length > 0 ? Integer.parseInt(args[0]) : 16 * 1024;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int[] flushEvery =
                args.length > 2
                        ? java.util.Arrays.stream(args[2].split(","))
                                .mapToInt(Integer::parseInt)
                                .toArray()
                        : new int[] {1, 16};
        Pipe pipe = new Pipe();
        // Warm-up: until the JIT has compiled AES-GCM and the pipeline.
        for (int i = 0; i < 6; i++) {
            for (int f : flushEvery) {
                pipe.cost(message, f, 256L << 20);
            }
        }
        for (int r = 1; r <= rounds; r++) {
            for (int f : flushEvery) {
                double nsPerByte = pipe.cost(message, f, 512L << 20);
                System.out.printf(
                        Locale.ROOT,
                        "round %d flush every %2d writes of %d B: %.3f ns/B = %.0f MB per"
                                + " CPU-second%n",
                        r,
                        f,
                        message,
                        nsPerByte,
                        1e3 / nsPerByte);
            }
        }
        pipe.close();
    }

    /** An established pair of channels. */
    private static final class Pipe {
        final EmbeddedChannel sender = new EmbeddedChannel();
        final EmbeddedChannel receiver = new EmbeddedChannel();
        final Sink sink = new Sink();
        final byte[] payload = new byte[1 << 20];

        Pipe() {
            new SecureRandom().nextBytes(payload);
            SecureRandom random = new SecureRandom();
            context(LocalIdentity.generate(2048, random))
                    .addHandlers(sender.pipeline(), Role.INITIATOR);
            context(LocalIdentity.generate(2048, random))
                    .addHandlers(receiver.pipeline(), Role.RESPONDER);
            receiver.pipeline().addLast(sink);
            for (int i = 0; i < 100 && SecureSession.of(receiver).isEmpty(); i++) {
                move(sender, receiver, false);
                move(receiver, sender, false);
                sender.runPendingTasks();
                receiver.runPendingTasks();
            }
            move(sender, receiver, false);
            move(receiver, sender, false);
            if (SecureSession.of(sender).isEmpty() || SecureSession.of(receiver).isEmpty()) {
                throw new IllegalStateException("handshake did not complete");
            }
        }

        static SecureChannelContext context(LocalIdentity id) {
            SecureChannelContext.Builder b =
                    SecureChannelContext.builder(id)
                            .peerVerifier(PeerVerifier.insecureAcceptAny())
                            .cryptoExecutor(Runnable::run);
            variant(b, System.getProperty("p2pchat.bench.variant", "default"));
            return b.build();
        }

        /**
         * The bulk variants of the suite ({@code -Dp2pchat.bench.variant=aes256} or {@code
         * ratchet1}), as the bulk section sets them up, so that their CPU cost per byte can be
         * compared with the default's on one thread.
         */
        private static void variant(SecureChannelContext.Builder b, String variant) {
            switch (variant) {
                case "aes256" -> b.cipherSuites(CipherSuite.X25519_MLKEM768_AES_256_GCM_SHA256);
                case "ratchet1" ->
                        b.rotationPolicy(RotationPolicy.DEFAULT.withRatchetIntervalRecords(1));
                case "default" -> {}
                default -> throw new IllegalArgumentException("variant: " + variant);
            }
        }

        /** CPU ns per application byte to send and receive {@code total} bytes. */
        double cost(int message, int flushEvery, long total) {
            long before = sink.received;
            long c0 = THREADS.getCurrentThreadCpuTime();
            long sent = 0;
            int n = 0;
            while (sent < total) {
                ByteBuf m = sender.alloc().directBuffer(message);
                m.writeBytes(payload, 0, message);
                sender.write(m, sender.voidPromise());
                sent += message;
                if (++n % flushEvery == 0) {
                    sender.flush();
                    move(sender, receiver, true);
                }
            }
            sender.flush();
            move(sender, receiver, true);
            long c1 = THREADS.getCurrentThreadCpuTime();
            if (sink.received - before != sent) {
                throw new IllegalStateException(
                        "received " + (sink.received - before) + " of " + sent);
            }
            return (double) (c1 - c0) / sent;
        }

        /**
         * Moves what {@code from} wrote to {@code to}: as whole frames, or (socket) copied into 64
         * KiB direct reads.
         */
        void move(EmbeddedChannel from, EmbeddedChannel to, boolean socket) {
            ByteBufAllocator alloc = to.alloc();
            ByteBuf read = null;
            Object msg;
            while ((msg = from.readOutbound()) != null) {
                ByteBuf frame = (ByteBuf) msg;
                if (!socket) {
                    to.writeInbound(frame);
                    continue;
                }
                while (frame.isReadable()) {
                    if (read == null) {
                        read = alloc.directBuffer(64 * 1024, 64 * 1024);
                    }
                    int k = Math.min(frame.readableBytes(), read.writableBytes());
                    read.writeBytes(frame, k);
                    if (!read.isWritable()) {
                        to.writeInbound(read);
                        read = null;
                    }
                }
                frame.release();
            }
            if (read != null) {
                to.writeInbound(read);
            }
        }

        void close() {
            sender.finishAndReleaseAll();
            receiver.finishAndReleaseAll();
        }
    }

    /** Counts and releases what arrives. */
    private static final class Sink extends ChannelInboundHandlerAdapter {
        long received;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            received += b.readableBytes();
            b.release();
        }
    }
}
