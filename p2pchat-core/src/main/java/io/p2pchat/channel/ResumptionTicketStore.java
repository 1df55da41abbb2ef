package io.p2pchat.channel;

import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * Where a {@link SecureChannelContext} keeps its resumption tickets (docs/protocol.md 5.11) from
 * one run to the next, so that a clean restart of either side still resumes.
 *
 * <p>The state is opaque to the store: the tickets this side issued and has not seen used, and the
 * tickets it holds with the addresses of their peers, each with <b>its PSK</b>. Whoever holds a
 * held ticket's PSK can resume, as this identity, a session with the peer that issued it, once and
 * until the ticket expires (at most 7 days, 24 hours by default; docs/security.md), so a store must
 * keep the state encrypted and private (the reference client encrypts it with AES-256-GCM under a
 * key derived from the encrypted identity file). The format is in docs/security.md.
 *
 * <h2>Consume once</h2>
 *
 * A ticket is single-use only while it exists in one place. The context therefore {@linkplain
 * #take() takes} the state once, when it is built, and the store must forget it then (delete the
 * file) before it returns it; the application {@linkplain
 * SecureChannelContext#saveResumptionTickets() saves} the tickets once, at a clean shutdown, after
 * its channels have closed. A run that ends otherwise (a crash, a kill) saves nothing, and the next
 * start does full handshakes. Restoring an older copy of the state would bring back tickets that
 * were used since: a store must never do that (whoever can do it to the reference client's file has
 * the key it is encrypted with already).
 *
 * <p>Implementations must be thread-safe: a context may take while another one saves.
 */
public interface ResumptionTicketStore {
    /** The longest state a context saves or accepts (16 MiB). */
    int MAX_STATE_BYTES = 16 << 20;

    /**
     * Removes and returns the state last saved, or returns null when there is none (or it cannot be
     * used: a store that finds it damaged sets it aside and returns null). The state must be gone
     * from the store when this returns it; a store that cannot remove it must throw instead. The
     * context wipes the returned array.
     *
     * @throws IOException if the state cannot be read or removed; the context then starts with no
     *     tickets
     */
    byte @Nullable [] take() throws IOException;

    /**
     * Replaces the saved state with {@code state} (at most {@link #MAX_STATE_BYTES}). The array is
     * wiped when this returns: keep no reference to it, and write it only encrypted.
     *
     * @throws IOException if it cannot be saved; the tickets are then lost (full handshakes next
     *     time)
     */
    void save(byte[] state) throws IOException;
}
