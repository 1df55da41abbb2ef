package io.p2pchat.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.p2pchat.channel.ContentType;
import io.p2pchat.channel.RecordWriter;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Design experiment, not part of the suite: the whole user-space send path of one 16 KiB record
 * from a direct application buffer to a direct buffer the socket can write, done the way the record
 * layer does it (stage into a heap frame, AES-GCM on {@code byte[]}, then the transport's copy to
 * direct memory) against AES-GCM straight between direct {@code ByteBuffer}s.
 *
 * <p>Run: {@code java -cp p2pchat-bench.jar org.openjdk.jmh.Main SendPathBenchmarks}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public class SendPathBenchmarks {
    private static final int SIZE = 16 * 1024;
    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private RecordWriter writer;
    private ByteBuf directPlain;
    private Cipher cipher;
    private SecretKeySpec key;
    private final byte[] nonce = new byte[12];
    private long counter;
    private final byte[] scratch = new byte[16 * 1024 + 16];

    @Setup
    public void setup() throws GeneralSecurityException {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        writer = new RecordWriter(16);
        writer.install(1, secret);
        byte[] data = new byte[SIZE];
        new SecureRandom().nextBytes(data);
        directPlain = alloc.directBuffer(SIZE).writeBytes(data);
        cipher = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        key = new SecretKeySpec(new byte[16], "AES");
    }

    /**
     * Runs each path for a fixed number of records on this thread and prints its CPU time per byte
     * (thread CPU time, so that a loaded machine changes the figures less than wall-clock JMH):
     * {@code java -cp p2pchat-bench.jar io.p2pchat.bench.SendPathBenchmarks [ROUNDS]}.
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        java.lang.management.ThreadMXBean threads =
                java.lang.management.ManagementFactory.getThreadMXBean();
        SendPathBenchmarks b = new SendPathBenchmarks();
        b.setup();
        String[] names = {"heapSealThenCopyToDirect", "chunkedSealIntoDirect", "directSeal"};
        for (int r = -3; r < rounds; r++) {
            StringBuilder line = new StringBuilder(r < 0 ? "warm-up" : "round " + r);
            for (int k = 0; k < names.length; k++) {
                long t0 = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < 20_000; i++) {
                    switch (k) {
                        case 0 -> b.heapSealThenCopyToDirect();
                        case 1 -> b.chunkedSealIntoDirect();
                        default -> b.directSeal();
                    }
                }
                double ns = (threads.getCurrentThreadCpuTime() - t0) / (20_000.0 * SIZE);
                line.append(String.format(java.util.Locale.ROOT, "  %s %.3f ns/B", names[k], ns));
            }
            System.out.println(line);
        }
        b.tearDown();
    }

    @TearDown
    public void tearDown() {
        directPlain.release();
        writer.destroy();
    }

    /** Today's path: stage + heap AES-GCM in RecordWriter, then the transport's copy to direct. */
    @Benchmark
    public int heapSealThenCopyToDirect() {
        ByteBuf frame =
                writer.seal(alloc, ContentType.APPLICATION_DATA, directPlain.duplicate(), SIZE);
        ByteBuf direct = alloc.directBuffer(frame.readableBytes());
        direct.writeBytes(frame);
        frame.release();
        int n = direct.readableBytes();
        direct.release();
        return n;
    }

    /**
     * The record sealed through a small heap scratch array into a direct frame: each chunk of
     * plaintext is copied into the scratch (cache-resident), encrypted there in place with {@code
     * Cipher.update} on {@code byte[]}, and copied into the direct frame the socket writes, so the
     * transport's own copy of a heap frame to direct memory (and its second buffer) disappears.
     */
    @Benchmark
    public int chunkedSealIntoDirect() throws GeneralSecurityException {
        startRecord();
        ByteBuf out = alloc.directBuffer(9 + SIZE + 16);
        out.writerIndex(9);
        int pos = directPlain.readerIndex();
        int left = SIZE;
        while (left > 0) {
            int n = Math.min(left, scratch.length - 16);
            directPlain.getBytes(pos, scratch, 0, n);
            int k = cipher.update(scratch, 0, n, scratch, 0);
            out.writeBytes(scratch, 0, k);
            pos += n;
            left -= n;
        }
        int k = cipher.doFinal(scratch, 0);
        out.writeBytes(scratch, 0, k);
        int w = out.readableBytes();
        out.release();
        return w;
    }

    /** Initialises the cipher for the next record: a fresh nonce, then 9 bytes of AAD. */
    private void startRecord() throws GeneralSecurityException {
        long c = ++counter;
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (c >>> (56 - 8 * i));
        }
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        cipher.updateAAD(nonce, 0, 9);
    }

    /** AES-GCM from the direct plaintext into a direct frame: no copy at all. */
    @Benchmark
    public int directSeal() throws GeneralSecurityException {
        startRecord();
        ByteBuf out = alloc.directBuffer(9 + SIZE + 16);
        ByteBuffer dst = out.nioBuffer(0, out.capacity());
        dst.position(9);
        int n = cipher.doFinal(directPlain.nioBuffer(), dst);
        out.release();
        return n;
    }
}
