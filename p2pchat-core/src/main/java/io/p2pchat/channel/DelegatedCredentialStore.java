package io.p2pchat.channel;

import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * Where a {@link SecureChannelContext} keeps its delegated credential (docs/protocol.md 5.10)
 * between runs, so that a restart costs no RSA signature while the credential stays valid.
 *
 * <p>The state is opaque to the store: the credential, its RSA signature and <b>the credential's
 * Ed25519 private key</b>. Whoever holds it can authenticate as the identity until the credential
 * expires (docs/security.md), so a store must keep it encrypted and private (the reference client
 * encrypts it with AES-256-GCM under a key derived from the encrypted identity file).
 *
 * <p>The context calls {@link #load()} once, when it is built, and uses the state only if it is a
 * credential of the context's identity key and network, signed by that key, no longer valid than
 * the context's {@link SecureChannelContext.Builder#delegatedCredentialValidity}, and with more
 * than a quarter of its validity left; otherwise it signs a new credential and {@link #save saves}
 * it. Each renewal is saved too, on the crypto executor. A store that fails is logged (without the
 * state) and the context carries on with its credential in memory.
 *
 * <p>Implementations must be thread-safe: a renewal may save while another context loads.
 */
public interface DelegatedCredentialStore {
    /**
     * The state last saved, or null when there is none (or it cannot be used: a store that finds
     * its file damaged sets it aside and returns null). The context wipes the returned array.
     *
     * @throws IOException if the state cannot be read; the context then signs a new credential
     */
    byte @Nullable [] load() throws IOException;

    /**
     * Replaces the saved state with {@code state}. The array is wiped when this returns: keep no
     * reference to it, and write it only encrypted.
     *
     * @throws IOException if it cannot be saved; the credential is then used from memory only
     */
    void save(byte[] state) throws IOException;
}
