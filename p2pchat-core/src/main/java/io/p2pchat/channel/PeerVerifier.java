package io.p2pchat.channel;

/**
 * Decides whether an authenticated peer may talk to us: the pluggable trust decision of the
 * handshake.
 *
 * <p>By the time {@link #verify} runs, the handshake has already proven that the peer holds the
 * private key of {@link PeerCredentials#publicKey()} (its transcript signature and Finished MAC
 * verified). The verifier decides whether that key is the right one: pinned ({@code
 * io.p2pchat.verify.PinnedKeysVerifier}), remembered on first use ({@code
 * io.p2pchat.verify.TofuVerifier}), or registered in the ledger (the ledger certificate authority).
 *
 * <h2>Threading</h2>
 *
 * Called on the channel context's crypto executor, or on the channel's event loop when {@link
 * #isNonBlocking()} says so, possibly from several threads at once: implementations must be
 * thread-safe. They may block briefly (disk, a lock) but must not wait for the network, and then
 * must leave {@link #isNonBlocking()} false.
 */
@FunctionalInterface
public interface PeerVerifier {
    /**
     * Accepts the peer by returning, or rejects it by throwing.
     *
     * @throws PeerVerificationException with the precise reason when the peer is rejected
     */
    void verify(PeerCredentials peer) throws PeerVerificationException;

    /**
     * Whether {@link #verify} always returns promptly without blocking: no disk or network, no lock
     * that another thread may hold across either, and at most a signature verification's worth of
     * CPU (a few hundred microseconds). A verifier that says so is called on the channel's event
     * loop, which saves two thread hand-offs per handshake step (about a fifth of a resumed
     * handshake's CPU, docs/benchmarks.md); otherwise it is called on the context's crypto
     * executor.
     *
     * <p>Default false: a verifier is assumed to block unless it declares otherwise. The verifiers
     * of this library that only read memory ({@link #insecureAcceptAny()}, {@code
     * PinnedKeysVerifier}, the ledger's {@code LedgerPeerVerifier}) return true.
     */
    default boolean isNonBlocking() {
        return false;
    }

    /**
     * A verifier that accepts every peer whose key hashes to its id, which is always true of a
     * completed handshake.
     *
     * <h4>Warning</h4>
     *
     * It authenticates nobody in particular: any key holder is accepted. Use it only where the
     * application checks {@link io.p2pchat.identity.PeerId}s itself, such as a ledger sync
     * connection before the peer's record is known.
     */
    static PeerVerifier insecureAcceptAny() {
        return new PeerVerifier() {
            @Override
            public void verify(PeerCredentials peer) {}

            @Override
            public boolean isNonBlocking() {
                return true;
            }
        };
    }
}
