package io.p2pchat.channel;

import io.p2pchat.crypto.AesGcm;
import io.p2pchat.crypto.Secret;
import io.p2pchat.crypto.TrafficKdf;

/**
 * The key state of one direction of a channel (protocol.md §7, §8): the traffic secret and the
 * AES-GCM key and IV derived from it, the epoch, the next sequence number, and the records and
 * bytes protected under the current key. {@link RecordWriter} holds one for the sending direction
 * and {@link RecordReader} one for the receiving direction; both change keys the same way ({@link
 * #install} for the first key and a rekey, {@link #ratchet} for the symmetric ratchet and a key
 * update), which is what keeps the two ends in step.
 *
 * <p>The key, IV and next secret come from one HMAC keyed once per secret ({@link TrafficKdf}),
 * byte for byte what {@code KeySchedule} derives; the HMAC is the thread's, and holds no secret
 * once a derivation returns. The secret itself is wiped when the next is installed and by {@link
 * #destroy}.
 *
 * <p>Threading: not thread-safe; confined to the thread of its writer or reader (the channel's
 * event loop once the channel is established).
 */
final class DirectionKeys {
    private final AesGcm aead = new AesGcm();
    private final int keyLength;
    private byte[] trafficSecret;
    private long epoch = -1;
    private long seq;
    private long recordsInEpoch;
    private long bytesInEpoch;

    /** Key state for keys of {@code keyLength} bytes (16 or 32). */
    DirectionKeys(int keyLength) {
        this.keyLength = keyLength;
    }

    /**
     * Installs the traffic secret of {@code newEpoch}, taking ownership of the array, and wipes the
     * previous secret and key; the sequence number and the epoch's counters start again at zero.
     */
    void install(long newEpoch, byte[] secret) {
        checkEpoch(newEpoch);
        byte[] key = new byte[keyLength];
        byte[] iv = new byte[AesGcm.IV_LENGTH];
        TrafficKdf.keyAndIv(secret, key, iv);
        start(newEpoch, secret, key, iv);
    }

    /** Moves to the next epoch with the ratcheted secret. */
    void ratchet() {
        if (trafficSecret == null) {
            throw new IllegalStateException("no traffic secret");
        }
        checkEpoch(epoch + 1);
        byte[] key = new byte[keyLength];
        byte[] iv = new byte[AesGcm.IV_LENGTH];
        start(epoch + 1, TrafficKdf.ratchet(trafficSecret, key, iv), key, iv);
    }

    private static void checkEpoch(long newEpoch) {
        if (newEpoch < 0 || newEpoch > RecordFormat.MAX_EPOCH) {
            throw new IllegalArgumentException("epoch: " + newEpoch);
        }
    }

    /**
     * Keys the AEAD with {@code key} and {@code iv}, which it wipes, and starts {@code newEpoch}
     * with {@code secret} (owned), wiping the previous secret; on failure {@code secret} is wiped.
     */
    private void start(long newEpoch, byte[] secret, byte[] key, byte[] iv) {
        try {
            aead.init(key, iv);
        } catch (RuntimeException e) {
            Secret.wipe(secret);
            throw e;
        } finally {
            Secret.wipe(key, iv);
        }
        Secret.wipe(trafficSecret);
        trafficSecret = secret;
        epoch = newEpoch;
        seq = 0;
        recordsInEpoch = 0;
        bytesInEpoch = 0;
    }

    /** Whether the next epoch would pass {@link RecordFormat#MAX_EPOCH}. */
    boolean epochExhausted() {
        return epoch >= RecordFormat.MAX_EPOCH;
    }

    /** Whether the limits say the key changes after the last record. */
    boolean ratchetDue(long maxRecords, long maxBytes) {
        return recordsInEpoch >= maxRecords || bytesInEpoch >= maxBytes;
    }

    /** Counts one record of {@code plaintextBytes} protected under the current key. */
    void advance(int plaintextBytes) {
        seq++;
        recordsInEpoch++;
        bytesInEpoch += plaintextBytes;
    }

    /** The AEAD keyed for the current epoch; its nonce is {@link #sequence()}. */
    AesGcm aead() {
        return aead;
    }

    /** The current epoch, or -1 before the first key. */
    long epoch() {
        return epoch;
    }

    /** The next sequence number. */
    long sequence() {
        return seq;
    }

    /** Sets the sequence number; for tests of exhaustion only. */
    void setSequence(long value) {
        seq = value;
    }

    /** Records protected under the current key. */
    long recordsInEpoch() {
        return recordsInEpoch;
    }

    /** Whether a key is installed. */
    boolean hasKey() {
        return aead.hasKey();
    }

    /** A copy of the current traffic secret, or null; for tests that check keys are gone. */
    byte[] trafficSecretCopy() {
        return trafficSecret == null ? null : trafficSecret.clone();
    }

    /** Wipes all key material. */
    void destroy() {
        aead.destroy();
        Secret.wipe(trafficSecret);
        trafficSecret = null;
    }

    @Override
    public String toString() {
        return "epoch=" + epoch + ", seq=" + seq + ", key redacted";
    }
}
