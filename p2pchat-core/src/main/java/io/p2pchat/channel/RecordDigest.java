package io.p2pchat.channel;

import io.p2pchat.identity.PeerId;

/**
 * A SHA-256 hash chain over the application records of one channel, one chain per direction, kept
 * by the record layer when the context enables {@link SecureChannelContext.Builder#recordDigest}
 * (docs/protocol.md §7, "Record digest").
 *
 * <pre>
 * chain_0     = SHA-256("p2pchat/1 record chain")
 * chain_{n+1} = SHA-256(chain_n || uint64 n || uint32 len(p) || p)    p = plaintext of record n
 * fingerprint = safety number of SHA-256("p2pchat/1 record chain fingerprint"
 *                   || id_low || chain_low || id_high || chain_high)
 * </pre>
 *
 * <p>Both ends of a channel see the same records in the same order, so their record digests agree;
 * a record that was changed, dropped or reordered would already have failed its tag. It describes
 * this one channel and depends on where the sender cut records (which follows its writes and
 * flushes), so it is <b>not</b> the conversation fingerprint people compare: that is a {@link
 * ConversationDigest} over the application's messages, which the application keeps. Local
 * computation only; nothing of it goes on the wire.
 *
 * <p>Thread-safe: updated on the channel's event loop, read by the application.
 */
public final class RecordDigest {
    private static final ConversationDigest.Labels LABELS =
            new ConversationDigest.Labels(
                    "p2pchat/1 record chain", "p2pchat/1 record chain fingerprint");

    private final ConversationDigest chains;

    /** Starts the record digest of a channel between {@code local} and {@code peer}. */
    public RecordDigest(PeerId local, PeerId peer) {
        this.chains = new ConversationDigest(LABELS, local, peer);
    }

    /**
     * Extends the chain of {@code sender} with a record's plaintext {@code p[off, off+len)}. Called
     * by the record layer for every application record it seals or opens.
     */
    public void add(PeerId sender, byte[] p, int off, int len) {
        chains.add(sender, p, off, len);
    }

    /** The current head of {@code sender}'s chain (a copy). */
    public byte[] head(PeerId sender) {
        return chains.head(sender);
    }

    /** Application records absorbed from {@code sender}. */
    public long count(PeerId sender) {
        return chains.count(sender);
    }

    /** The fingerprint hash that the safety number renders. */
    public byte[] fingerprintHash() {
        return chains.fingerprintHash();
    }

    /** The record digest as a 30-digit safety number. */
    public String fingerprint() {
        return chains.fingerprint();
    }

    @Override
    public String toString() {
        return "RecordDigest" + chains.toString().substring("ConversationDigest".length());
    }
}
