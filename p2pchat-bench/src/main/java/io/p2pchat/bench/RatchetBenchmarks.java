package io.p2pchat.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.p2pchat.channel.ContentType;
import io.p2pchat.channel.RecordWriter;
import io.p2pchat.crypto.AesGcm;
import io.p2pchat.crypto.KeySchedule;
import io.p2pchat.crypto.TrafficKdf;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
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
 * <p>Run: {@code java -cp p2pchat-bench.jar org.openjdk.jmh.Main RatchetBenchmarks}; or, on a
 * loaded machine, {@code java -cp p2pchat-bench.jar io.p2pchat.bench.RatchetBenchmarks [ROUNDS]},
 * which measures each operation by this thread's CPU time in interleaved rounds ({@link #main}).
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
    private byte[] kdfSecret;
    private final byte[] key = new byte[16];
    private final byte[] iv = new byte[AesGcm.IV_LENGTH];

    /**
     * Each benchmark's thread CPU time per operation, in interleaved rounds of {@value #OPS}
     * operations after a warm-up, then the medians: CPU time is disturbed less than JMH's wall
     * clock by other processes on a shared machine.
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        RatchetBenchmarks b = new RatchetBenchmarks();
        b.setup();
        Map<String, Runnable> ops = new LinkedHashMap<>();
        ops.put("ratchetStep", b::ratchetStep);
        ops.put("ratchetStepThenSeal", b::ratchetStepThenSeal);
        ops.put("aesGcmInit", b::aesGcmInit);
        ops.put("threeExpandsGeneric", b::threeExpandsGeneric);
        ops.put("threeExpandsTrafficKdf", b::threeExpandsTrafficKdf);
        for (int i = 0; i < 3; i++) {
            ops.values().forEach(op -> cpuNanosPerOp(op));
        }
        Map<String, double[]> results = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (Map.Entry<String, Runnable> e : ops.entrySet()) {
                results.computeIfAbsent(e.getKey(), k -> new double[rounds])[r] =
                        cpuNanosPerOp(e.getValue());
            }
        }
        results.forEach(
                (name, ns) -> {
                    Arrays.sort(ns);
                    System.out.printf(
                            Locale.ROOT,
                            "%-24s median %7.0f ns CPU/op (min %.0f, max %.0f)%n",
                            name,
                            ns[ns.length / 2],
                            ns[0],
                            ns[ns.length - 1]);
                });
    }

    private static final int OPS = 100_000;

    private static double cpuNanosPerOp(Runnable op) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long c0 = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < OPS; i++) {
            op.run();
        }
        return (double) (threads.getCurrentThreadCpuTime() - c0) / OPS;
    }

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
        kdfSecret = secret.clone();
        TrafficKdf.keyAndIv(secret, key, iv);
        boolean keyAndIv =
                Arrays.equals(key, KeySchedule.trafficKey(secret, 16))
                        && Arrays.equals(iv, KeySchedule.trafficIv(secret));
        byte[] next = KeySchedule.nextTrafficSecret(secret);
        if (!keyAndIv
                || !Arrays.equals(TrafficKdf.ratchet(secret, key, iv), next)
                || !Arrays.equals(key, KeySchedule.trafficKey(next, 16))
                || !Arrays.equals(iv, KeySchedule.trafficIv(next))) {
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

    /**
     * The three derivations with one HMAC keyed once per secret ({@code TrafficKdf.ratchet}: the
     * thread's HMAC keyed with the secret, then with the next, then with zeros).
     */
    @Benchmark
    public byte[] threeExpandsTrafficKdf() {
        byte[] next = TrafficKdf.ratchet(kdfSecret, key, iv);
        kdfSecret = next;
        return next;
    }
}
