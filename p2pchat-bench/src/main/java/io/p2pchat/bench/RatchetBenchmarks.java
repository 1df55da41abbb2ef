package io.p2pchat.bench;

import io.p2pchat.channel.RecordWriter;
import io.p2pchat.crypto.Hkdf;
import io.p2pchat.crypto.KeySchedule;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Design experiment behind a proposal in docs/benchmarks.md: one step of the symmetric ratchet
 * (next traffic secret, then its AES key and IV: three HKDF-Expand-Label) as p2pchat does it today
 * with Bouncy Castle's HMAC-SHA-256, against the same three expansions with the JDK's {@code
 * HmacSHA256} (SHA-NI intrinsics), which give byte-identical output (checked in setup).
 *
 * <p>Run: {@code java -cp p2pchat-bench.jar org.openjdk.jmh.Main RatchetBenchmarks}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class RatchetBenchmarks {
    private RecordWriter writer;
    private byte[] secret = new byte[32];
    private Mac mac;

    @Setup
    public void setup() throws GeneralSecurityException {
        new SecureRandom().nextBytes(secret);
        writer = new RecordWriter(16);
        writer.install(1, secret.clone());
        mac = Mac.getInstance("HmacSHA256");
        byte[] next = jdkExpandLabel(secret, KeySchedule.TRAFFIC_UPDATE_LABEL, 32);
        if (!Arrays.equals(next, KeySchedule.nextTrafficSecret(secret))
                || !Arrays.equals(
                        jdkExpandLabel(secret, KeySchedule.KEY_LABEL, 16),
                        KeySchedule.trafficKey(secret, 16))
                || !Arrays.equals(
                        jdkExpandLabel(secret, KeySchedule.IV_LABEL, 12),
                        KeySchedule.trafficIv(secret))) {
            throw new IllegalStateException("JDK HKDF prototype disagrees with KeySchedule");
        }
    }

    /** Today: RecordWriter.ratchet(), three HKDF-Expand-Label with Bouncy Castle, key install. */
    @Benchmark
    public long ratchetToday() {
        writer.ratchet();
        return writer.epoch();
    }

    /** The three expansions alone, Bouncy Castle (what Hkdf does today). */
    @Benchmark
    public byte[] threeExpandsBouncyCastle() {
        byte[] next = KeySchedule.nextTrafficSecret(secret);
        KeySchedule.trafficKey(next, 16);
        KeySchedule.trafficIv(next);
        secret = next;
        return next;
    }

    /** The same three expansions with the JDK's HmacSHA256 and one cached Mac. */
    @Benchmark
    public byte[] threeExpandsJdk() throws GeneralSecurityException {
        byte[] next = jdkExpandLabel(secret, KeySchedule.TRAFFIC_UPDATE_LABEL, 32);
        jdkExpandLabel(next, KeySchedule.KEY_LABEL, 16);
        jdkExpandLabel(next, KeySchedule.IV_LABEL, 12);
        secret = next;
        return next;
    }

    /** HKDF-Expand-Label for outputs of at most one hash block: T(1) = HMAC(prk, info || 1). */
    private byte[] jdkExpandLabel(byte[] prk, String label, int length)
            throws GeneralSecurityException {
        mac.init(new SecretKeySpec(prk, "HmacSHA256"));
        mac.update(Hkdf.hkdfLabel(label, new byte[0], length));
        mac.update((byte) 1);
        return Arrays.copyOf(mac.doFinal(), length);
    }
}
