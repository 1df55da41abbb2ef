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

    /** AES-GCM from the direct plaintext into a direct frame: no copy at all. */
    @Benchmark
    public int directSeal() throws GeneralSecurityException {
        long c = ++counter;
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] = (byte) (c >>> (56 - 8 * i));
        }
        cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
        cipher.updateAAD(nonce, 0, 9);
        ByteBuf out = alloc.directBuffer(9 + SIZE + 16);
        ByteBuffer dst = out.nioBuffer(0, out.capacity());
        dst.position(9);
        int n = cipher.doFinal(directPlain.nioBuffer(), dst);
        out.release();
        return n;
    }
}
