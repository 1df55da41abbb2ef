package io.p2pchat.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.p2pchat.channel.ContentType;
import io.p2pchat.channel.RecordException;
import io.p2pchat.channel.RecordReader;
import io.p2pchat.channel.RecordWriter;
import java.security.SecureRandom;

/**
 * Compiles the JDK's AES-GCM paths before anything is measured. On a loaded 2-core machine the C2
 * compiler, competing with the sides it compiles for, can take many seconds to produce the AES-GCM
 * intrinsics, and until it does AES-GCM runs about 50 times slower; the JDK's TLS uses the same
 * SunJCE AES-GCM, so the warm-up serves both. The harness times out of this loop, like JMH's
 * warm-up; it is not synchronisation.
 */
final class JitWarmup {
    private JitWarmup() {}

    /** Rate (seal and open of 16 KiB, bytes per second) at which AES-GCM is surely compiled. */
    private static final double COMPILED_RATE = 500e6;

    /**
     * Seals and opens 16 KiB and 64 B records, ratcheting every 8, for at least {@code minMillis}
     * and then until a 200 ms window runs at compiled speed, or {@code maxMillis} have passed.
     *
     * @return the seal-and-open rate of the last window, bytes per second
     */
    static double run(ByteBufAllocator alloc, int minMillis, int maxMillis) throws RecordException {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        RecordWriter writer = new RecordWriter(16);
        RecordReader reader = new RecordReader(16);
        writer.install(1, secret.clone());
        reader.install(1, secret.clone());
        ByteBuf big = alloc.directBuffer(16384).writeZero(16384);
        ByteBuf small = alloc.heapBuffer(64).writeZero(64);
        long start = System.nanoTime();
        long windowStart = start;
        long windowBytes = 0;
        double rate = 0;
        try {
            for (long i = 0; ; i++) {
                long now = System.nanoTime();
                if (now - windowStart >= 200_000_000L) {
                    rate = windowBytes / ((now - windowStart) / 1e9);
                    windowStart = now;
                    windowBytes = 0;
                    long elapsed = (now - start) / 1_000_000;
                    if (elapsed >= maxMillis || (elapsed >= minMillis && rate >= COMPILED_RATE)) {
                        return rate;
                    }
                }
                ByteBuf src = (i & 1) == 0 ? big : small;
                ByteBuf frame =
                        writer.seal(
                                alloc,
                                ContentType.APPLICATION_DATA,
                                src.duplicate(),
                                src.readableBytes());
                ByteBuf heapFrame = alloc.heapBuffer(frame.readableBytes()).writeBytes(frame);
                frame.release();
                ByteBuf plain = reader.openInPlace(alloc, heapFrame);
                windowBytes += plain.readableBytes();
                plain.release();
                heapFrame.release();
                if (writer.ratchetDue(8, Long.MAX_VALUE)) {
                    writer.ratchet();
                    reader.ratchet();
                }
            }
        } finally {
            big.release();
            small.release();
            writer.destroy();
            reader.destroy();
        }
    }
}
