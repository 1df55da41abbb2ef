package io.p2pchat.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The running SHA-256 hash of a handshake transcript (docs/protocol.md, "Transcript").
 *
 * <p>Each element is absorbed as {@code uint32 length || bytes}, the exact bytes as sent or
 * received, never a re-serialization. {@link #current()} returns the hash of everything absorbed so
 * far without ending the transcript.
 */
public final class TranscriptHash {
    private static final MessageDigest FRESH = newSha256();

    private final MessageDigest digest;

    /** Starts an empty transcript. */
    public TranscriptHash() {
        this.digest = sha256();
    }

    /** Absorbs one element. */
    public void add(byte[] element) {
        int n = element.length;
        digest.update(
                new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        digest.update(element);
    }

    /** The hash of the elements absorbed so far. */
    public byte[] current() {
        try {
            return ((MessageDigest) digest.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 digest not cloneable", e);
        }
    }

    /**
     * A new SHA-256 digest: a clone of one that is never updated, as {@code JdkSha256Digest} does,
     * because {@code MessageDigest.getInstance} looks the provider up each time (every handshake
     * starts a transcript and hashes a peer id; docs/benchmarks.md, "Resumed handshakes: the
     * overhead trimmed"). Cloning an object nobody modifies is safe from any thread.
     */
    public static MessageDigest sha256() {
        try {
            return (MessageDigest) FRESH.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 digest not cloneable", e);
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** SHA-256 of the concatenation of {@code parts}. */
    public static byte[] sha256(byte[]... parts) {
        MessageDigest md = sha256();
        for (byte[] p : parts) {
            md.update(p);
        }
        return md.digest();
    }
}
