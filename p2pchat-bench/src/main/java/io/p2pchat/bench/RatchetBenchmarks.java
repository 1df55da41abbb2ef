package io.p2pchat.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.p2pchat.channel.ContentType;
import io.p2pchat.channel.RecordWriter;
import io.p2pchat.crypto.AesGcm;
import io.p2pchat.crypto.KeySchedule;
import io.p2pchat.crypto.TrafficKdf;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One step of the symmetric ratchet (the next traffic secret, then its AES key and IV, then the key
 * installed in the cipher) and its parts, for docs/benchmarks.md ("Changes made for performance",
 * the cheaper ratchet step):
 *
 * <ul>
 *   <li>{@link #ratchetStep}: {@code RecordWriter.ratchet()} as the channel takes it;
 *   <li>{@link #ratchetStepThenSeal}: the step and the first record under the new key;
 *   <li>{@link #aesGcmInit}: the cipher's share, a new key's schedule in SunJCE;
 *   <li>the three derivations alone: the generic HKDF-Expand-Label ({@code KeySchedule}, a new HKDF
 *       generator, HMAC and digest per expansion) and one HMAC keyed once per secret ({@link
 *       TrafficKdf}, what the ratchet uses), which give identical bytes (checked in setup).
 * </ul>
 *
 * <p>Run: {@code java -cp p2pchat-bench.jar org.openjdk.jmh.Main RatchetBenchmarks}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class RatchetBenchmarks {
    private final ByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;
    private RecordWriter writer;
    private ByteBuf one;
    private byte[] secret = new byte[32];
    private final AesGcm aead = new AesGcm();
    private final byte[][] aesKeys = new byte[2][16];
    private final byte[] aesIv = new byte[AesGcm.IV_LENGTH];
    private int aesTurn;
    private final TrafficKdf kdf = new TrafficKdf(16);
    private final byte[] key = new byte[16];
    private final byte[] iv = new byte[AesGcm.IV_LENGTH];

    @Setup
    public void setup() {
        SecureRandom random = new SecureRandom();
        random.nextBytes(secret);
        random.nextBytes(aesKeys[0]);
        random.nextBytes(aesKeys[1]);
        random.nextBytes(aesIv);
        writer = new RecordWriter(16);
        writer.install(1, secret.clone());
        one = alloc.heapBuffer(1).writeByte(1);
        kdf.init(secret);
        kdf.trafficKey(key);
        kdf.trafficIv(iv);
        if (!Arrays.equals(kdf.nextTrafficSecret(), KeySchedule.nextTrafficSecret(secret))
                || !Arrays.equals(key, KeySchedule.trafficKey(secret, 16))
                || !Arrays.equals(iv, KeySchedule.trafficIv(secret))) {
            throw new IllegalStateException("a fast path disagrees with KeySchedule");
        }
    }

    /** The step as the channel takes it: {@code RecordWriter.ratchet()}. */
    @Benchmark
    public long ratchetStep() {
        writer.ratchet();
        return writer.epoch();
    }

    /** The step, then a 1-byte record sealed under the new key. */
    @Benchmark
    public int ratchetStepThenSeal() {
        writer.ratchet();
        ByteBuf frame = writer.seal(alloc, ContentType.APPLICATION_DATA, one.duplicate(), 1);
        int n = frame.readableBytes();
        frame.release();
        return n;
    }

    /** A new AES key (alternating between two) installed in the cipher: the key schedule. */
    @Benchmark
    public boolean aesGcmInit() {
        aead.init(aesKeys[aesTurn ^= 1], aesIv);
        return aead.hasKey();
    }

    /** The three derivations with the generic HKDF-Expand-Label ({@code KeySchedule}). */
    @Benchmark
    public byte[] threeExpandsGeneric() {
        byte[] next = KeySchedule.nextTrafficSecret(secret);
        KeySchedule.trafficKey(next, 16);
        KeySchedule.trafficIv(next);
        secret = next;
        return next;
    }

    /** The three derivations with one HMAC keyed once per secret ({@code TrafficKdf}). */
    @Benchmark
    public byte[] threeExpandsTrafficKdf() {
        byte[] next = kdf.nextTrafficSecret();
        kdf.init(next);
        kdf.trafficKey(key);
        kdf.trafficIv(iv);
        return next;
    }
}
