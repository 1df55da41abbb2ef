package io.p2pchat.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.p2pchat.channel.ContentType;
import io.p2pchat.channel.RecordException;
import io.p2pchat.channel.RecordReader;
import io.p2pchat.channel.RecordWriter;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * p2pchat's record layer alone: sealing and opening one record of 64 B or 16 KiB with heap buffers
 * from Netty's pooled allocator, as the record codec does, without the channel around it. The
 * ratchet is not exercised here (see the "ratchet every record" bulk figure).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
public class RecordBenchmarks {
    /** Plaintext bytes per record. */
    @Param({"64", "16384"})
    public int size;

    private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
    private RecordWriter writer;
    private RecordReader reader;
    private ByteBuf plain;
    private ByteBuf directPlain;
    private ByteBuf frame;
    private ByteBuf directFrame;

    @Setup
    public void setup() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        writer = new RecordWriter(16);
        writer.install(1, secret.clone());
        reader = new RecordReader(16);
        reader.install(1, secret.clone());
        byte[] data = new byte[size];
        new SecureRandom().nextBytes(data);
        plain = alloc.heapBuffer(size).writeBytes(data);
        directPlain = alloc.directBuffer(size).writeBytes(data);
        writer.setSequenceForTesting(0);
        frame = writer.seal(alloc, ContentType.APPLICATION_DATA, plain.duplicate(), size);
        directFrame = alloc.directBuffer(frame.readableBytes()).writeBytes(frame.duplicate());
    }

    @TearDown
    public void tearDown() {
        plain.release();
        directPlain.release();
        frame.release();
        directFrame.release();
        writer.destroy();
        reader.destroy();
    }

    /** Seals a heap plaintext into a new frame, then releases the frame. */
    @Benchmark
    public int seal() {
        ByteBuf out = writer.seal(alloc, ContentType.APPLICATION_DATA, plain.duplicate(), size);
        int n = out.readableBytes();
        out.release();
        return n;
    }

    /** Seals a direct plaintext (what an application's pooled buffer usually is). */
    @Benchmark
    public int sealDirect() {
        ByteBuf out =
                writer.seal(alloc, ContentType.APPLICATION_DATA, directPlain.duplicate(), size);
        int n = out.readableBytes();
        out.release();
        return n;
    }

    /** Opens a heap frame into a new plaintext buffer, then releases it. */
    @Benchmark
    public int open() throws RecordException {
        reader.setSequenceForTesting(0);
        ByteBuf out = reader.open(alloc, frame.duplicate());
        int n = out.readableBytes();
        out.release();
        return n;
    }

    /** Opens a direct frame (what a socket read gives) into a new plaintext buffer. */
    @Benchmark
    public int openDirect() throws RecordException {
        reader.setSequenceForTesting(0);
        ByteBuf out = reader.open(alloc, directFrame.duplicate());
        int n = out.readableBytes();
        out.release();
        return n;
    }
}
