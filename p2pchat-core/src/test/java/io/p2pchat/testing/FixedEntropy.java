package io.p2pchat.testing;

import io.p2pchat.crypto.TranscriptHash;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

/**
 * A deterministic byte stream posing as a {@link SecureRandom}, for golden test vectors only: block
 * i of the stream is SHA-256(label || uint32 i). Records every draw so that a vector can list the
 * exact values consumed (ephemeral keys, randoms, PSS salts).
 */
public final class FixedEntropy extends SecureRandom {
    private static final long serialVersionUID = 1L;

    private final byte[] label;
    private int block;
    private byte[] current = new byte[0];
    private int pos;
    private final ByteArrayOutputStream drawn = new ByteArrayOutputStream();

    public FixedEntropy(String label) {
        super(new byte[0]);
        this.label = label.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public synchronized void nextBytes(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (pos == current.length) {
                current =
                        TranscriptHash.sha256(
                                label,
                                new byte[] {
                                    (byte) (block >>> 24),
                                    (byte) (block >>> 16),
                                    (byte) (block >>> 8),
                                    (byte) block
                                });
                block++;
                pos = 0;
            }
            bytes[i] = current[pos++];
        }
        drawn.writeBytes(bytes);
    }

    @Override
    public void setSeed(byte[] seed) {
        // deterministic: seeding is ignored
    }

    @Override
    public void setSeed(long seed) {
        // deterministic: seeding is ignored (also called by the SecureRandom constructor)
    }

    @Override
    public byte[] generateSeed(int numBytes) {
        byte[] out = new byte[numBytes];
        nextBytes(out);
        return out;
    }

    /** Every byte drawn so far, in order. */
    public synchronized byte[] drawn() {
        return drawn.toByteArray();
    }
}
