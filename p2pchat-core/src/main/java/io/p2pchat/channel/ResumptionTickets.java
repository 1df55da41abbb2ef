package io.p2pchat.channel;

import com.google.protobuf.ByteString;
import io.p2pchat.crypto.KeySchedule;
import io.p2pchat.crypto.Secret;
import io.p2pchat.identity.PeerId;
import io.p2pchat.proto.ControlMessage;
import io.p2pchat.proto.NewTicket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resumption tickets of one {@link SecureChannelContext} (docs/protocol.md 5.11), in both
 * roles:
 *
 * <ul>
 *   <li>as issuer (responder): a bounded cache ticket id → {@link Ticket}; a ticket leaves it on
 *       its first use (so a replayed resumption hello finds nothing and gets a full handshake),
 *       when it expires, or when the cache is full (oldest first);
 *   <li>as holder (initiator): up to {@value #MAX_TICKETS_PER_PEER} tickets per peer, newest first,
 *       each used once, for at most {@value #MAX_HELD_PEERS} peers (least recently used dropped),
 *       found by the remote address the initiator dials.
 * </ul>
 *
 * Every ticket that leaves the store unused has its PSK wiped.
 *
 * <p>With a {@link ResumptionTicketStore}, the tickets of the previous run are {@linkplain
 * #restoreFrom restored} when the context is built and {@linkplain #saveTo moved} into the store at
 * a clean shutdown ({@link TicketState} is the stored form).
 *
 * <p>Threading: shared by the event loops and the crypto executor of every channel of the context;
 * the maps are guarded by this object's lock, under which only map operations run (never the HKDF,
 * the state's encoding or the store's I/O: {@link #restoreFrom} and {@link #saveTo} run on the
 * application's thread, at build and at shutdown).
 */
final class ResumptionTickets {
    private static final Logger log = LoggerFactory.getLogger(ResumptionTickets.class);

    /** Length of a ticket id. */
    static final int ID_LENGTH = 32;

    /** Length of a ticket nonce. */
    static final int NONCE_LENGTH = 16;

    /** The default ticket lifetime. */
    static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);

    /** The longest lifetime a ticket may have, and the longest a holder keeps one. */
    static final Duration MAX_LIFETIME = Duration.ofDays(7);

    /** The default number of issued tickets kept. */
    static final int DEFAULT_MAX_ISSUED = 4096;

    /** Tickets kept per peer by a holder. */
    static final int MAX_TICKETS_PER_PEER = 4;

    /** Peers a holder keeps tickets for. */
    static final int MAX_HELD_PEERS = 1024;

    private final Clock clock;
    private final Duration lifetime;
    private final int maxIssued;
    private final LinkedHashMap<ByteBuffer, Ticket> issued = new LinkedHashMap<>();
    private final LinkedHashMap<PeerId, ArrayDeque<Ticket>> held =
            new LinkedHashMap<>(16, 0.75f, true);
    private final LinkedHashMap<SocketAddress, PeerId> addresses =
            new LinkedHashMap<>(16, 0.75f, true);

    ResumptionTickets(Clock clock, Duration lifetime, int maxIssued) {
        if (lifetime.isNegative()
                || lifetime.toSeconds() < 1
                || lifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException(
                    "ticket lifetime: " + lifetime + " (expected: 1 s to 7 days)");
        }
        if (maxIssued < 1) {
            throw new IllegalArgumentException("maxIssued: " + maxIssued + " (expected: >= 1)");
        }
        this.clock = clock;
        this.lifetime = lifetime;
        this.maxIssued = maxIssued;
    }

    /** The clock tickets expire by. */
    Clock clock() {
        return clock;
    }

    // ------------------------------------------------------------------ issuer (responder)

    /**
     * Issues a ticket for the session {@code est} completes and returns the {@code CONTROL}
     * plaintext that carries it. Destroys {@code est}'s resumption secret.
     */
    byte[] issue(Established est, SecureRandom random) {
        byte[] id = new byte[ID_LENGTH];
        byte[] nonce = new byte[NONCE_LENGTH];
        random.nextBytes(id);
        random.nextBytes(nonce);
        byte[] psk = KeySchedule.ticketPsk(est.resumptionSecret.bytes(), nonce);
        est.resumptionSecret.destroy();
        est.resumptionSecret = null;
        long now = clock.millis();
        Ticket ticket =
                new Ticket(
                        id,
                        psk,
                        est.peerId,
                        est.peerPublicKey,
                        est.peerCertificate,
                        est.suite,
                        est.peerNetworkId,
                        now + lifetime.toMillis());
        synchronized (this) {
            purgeExpiredIssued(now);
            Ticket previous = issued.put(ByteBuffer.wrap(id.clone()), ticket);
            if (previous != null) {
                previous.destroy(); // 2^-256: the new ticket replaces it
            }
            while (issued.size() > maxIssued) {
                removeEldestIssued();
            }
        }
        return ControlMessage.newBuilder()
                .setNewTicket(
                        NewTicket.newBuilder()
                                .setTicketId(ByteString.copyFrom(id))
                                .setTicketNonce(ByteString.copyFrom(nonce))
                                .setLifetimeS((int) lifetime.toSeconds()))
                .build()
                .toByteArray();
    }

    /**
     * Removes and returns the issued ticket {@code id}, or null when it is unknown, was used
     * already, or has expired (then destroyed). The caller owns the returned ticket.
     */
    synchronized @Nullable Ticket redeem(byte[] id) {
        if (id.length != ID_LENGTH) {
            return null;
        }
        Ticket t = issued.remove(ByteBuffer.wrap(id));
        if (t != null && t.expired(clock.millis())) {
            t.destroy();
            return null;
        }
        return t;
    }

    /** Issued tickets currently kept; for tests. */
    synchronized int issuedCount() {
        return issued.size();
    }

    private void purgeExpiredIssued(long now) {
        // Insertion order is expiry order: one lifetime for every ticket of this store.
        Iterator<Ticket> it = issued.values().iterator();
        while (it.hasNext()) {
            Ticket t = it.next();
            if (!t.expired(now)) {
                break;
            }
            t.destroy();
            it.remove();
        }
    }

    private void removeEldestIssued() {
        Iterator<Ticket> it = issued.values().iterator();
        it.next().destroy();
        it.remove();
    }

    // ------------------------------------------------------------------ holder (initiator)

    /**
     * Keeps the ticket a responder sent on {@code session}, found later by the session's remote
     * address. Takes over and wipes the session's resumption secret: one ticket per session.
     *
     * @throws RecordException {@code UNEXPECTED_MESSAGE} if this side did not ask for a ticket or
     *     has one for this session already; {@code MALFORMED} for a bad field
     */
    void hold(SessionImpl session, @Nullable SocketAddress remote, NewTicket message)
            throws RecordException {
        if (message.getTicketId().size() != ID_LENGTH
                || message.getTicketNonce().size() != NONCE_LENGTH
                || message.getLifetimeS() < 1
                || message.getLifetimeS() > MAX_LIFETIME.toSeconds()) {
            throw new RecordException(ErrorCode.MALFORMED, "malformed NewTicket");
        }
        Secret resumption = session.takeResumptionSecret();
        if (resumption == null) {
            throw new RecordException(ErrorCode.UNEXPECTED_MESSAGE, "unexpected NewTicket");
        }
        byte[] psk;
        try {
            psk = KeySchedule.ticketPsk(resumption.bytes(), message.getTicketNonce().toByteArray());
        } finally {
            resumption.destroy();
        }
        Ticket ticket =
                new Ticket(
                        message.getTicketId().toByteArray(),
                        psk,
                        session.peerId(),
                        session.peerPublicKey(),
                        session.peerCertificate(),
                        session.cipherSuite(),
                        session.peerNetworkId(),
                        clock.millis() + message.getLifetimeS() * 1000L);
        if (remote == null) {
            ticket.destroy();
            return;
        }
        synchronized (this) {
            ArrayDeque<Ticket> tickets =
                    held.computeIfAbsent(session.peerId(), k -> new ArrayDeque<>());
            tickets.addFirst(ticket);
            while (tickets.size() > MAX_TICKETS_PER_PEER) {
                tickets.removeLast().destroy();
            }
            addresses.put(remote, session.peerId());
            trimHeld();
        }
    }

    /**
     * Drops the least recently used peers and addresses over {@link #MAX_HELD_PEERS}; the caller
     * holds this store's lock.
     */
    private void trimHeld() {
        while (held.size() > MAX_HELD_PEERS) {
            Iterator<Map.Entry<PeerId, ArrayDeque<Ticket>>> it = held.entrySet().iterator();
            it.next().getValue().forEach(Ticket::destroy);
            it.remove();
        }
        while (addresses.size() > MAX_HELD_PEERS) {
            Iterator<SocketAddress> it = addresses.keySet().iterator();
            it.next();
            it.remove();
        }
    }

    /**
     * Removes and returns the newest unexpired ticket of the peer last met at {@code remote}, or
     * null. The caller owns the returned ticket.
     */
    synchronized @Nullable Ticket take(@Nullable SocketAddress remote) {
        if (remote == null) {
            return null;
        }
        PeerId peer = addresses.get(remote);
        ArrayDeque<Ticket> tickets = peer == null ? null : held.get(peer);
        if (tickets == null) {
            return null;
        }
        long now = clock.millis();
        Ticket t;
        while ((t = tickets.pollFirst()) != null) {
            if (!t.expired(now)) {
                break;
            }
            t.destroy();
        }
        if (tickets.isEmpty()) {
            held.remove(peer);
        }
        return t;
    }

    /** Tickets held for {@code peer}; for tests. */
    synchronized int heldCount(PeerId peer) {
        ArrayDeque<Ticket> tickets = held.get(peer);
        return tickets == null ? 0 : tickets.size();
    }

    // ------------------------------------------------------------------ stored state

    /**
     * Takes the state of the previous run from {@code store} and adds its tickets (docs/protocol.md
     * 5.11): those of {@code owner} (this context's key) and {@code network} only, unexpired, with
     * an issued ticket's lifetime capped at this store's and a held one's at {@link #MAX_LIFETIME}.
     * A store that fails or a state that does not decode is logged, and costs full handshakes.
     * Wipes the state.
     *
     * @return the tickets restored
     */
    int restoreFrom(ResumptionTicketStore store, PeerId owner, byte[] network) {
        byte[] state;
        try {
            state = store.take();
        } catch (IOException | RuntimeException e) {
            log.warn("could not take the stored resumption tickets: {}", e.toString());
            return 0;
        }
        if (state == null) {
            return 0;
        }
        try {
            int n = restore(state, owner, network);
            log.debug("restored {} resumption tickets", n);
            return n;
        } catch (TicketStateException e) {
            log.warn("the stored resumption tickets are not usable: {}", e.getMessage());
            return 0;
        } finally {
            Secret.wipe(state);
        }
    }

    /**
     * Adds the tickets in {@code state} ({@link TicketState}); does not wipe it.
     *
     * @return the tickets added; 0 for a state of another key or network
     * @throws TicketStateException if the state is not well formed (nothing is added)
     */
    int restore(byte[] state, PeerId owner, byte[] network) throws TicketStateException {
        long now = clock.millis();
        TicketState.Contents c =
                TicketState.decode(
                        state,
                        owner,
                        network,
                        now,
                        now + lifetime.toMillis(),
                        now + MAX_LIFETIME.toMillis());
        if (c == null) {
            log.info("the stored resumption tickets are another key's or network's; not used");
            return 0;
        }
        List<Ticket> issuedSorted = new ArrayList<>(c.issued());
        // Insertion order must be expiry order (purgeExpiredIssued).
        issuedSorted.sort(Comparator.comparingLong(Ticket::expiresAtMillis));
        synchronized (this) {
            for (Ticket t : issuedSorted) {
                Ticket previous = issued.put(ByteBuffer.wrap(t.id()), t);
                if (previous != null) {
                    previous.destroy();
                }
            }
            while (issued.size() > maxIssued) {
                removeEldestIssued();
            }
            for (TicketState.Held h : c.held()) {
                PeerId peer = h.tickets().get(0).peerId();
                ArrayDeque<Ticket> tickets = held.computeIfAbsent(peer, k -> new ArrayDeque<>());
                tickets.addAll(h.tickets());
                while (tickets.size() > MAX_TICKETS_PER_PEER) {
                    tickets.removeLast().destroy();
                }
                for (InetSocketAddress a : h.addresses()) {
                    addresses.put(a, peer);
                }
            }
            trimHeld();
        }
        return c.count();
    }

    /**
     * Moves every unexpired ticket of {@code network} into {@code store}, as the state of {@code
     * owner}; this store keeps none afterwards, and every PSK is wiped. Saves nothing when there is
     * no ticket (the store keeps what it has).
     *
     * @return the tickets saved
     * @throws IOException if the store fails (the tickets are gone all the same)
     */
    int saveTo(ResumptionTicketStore store, PeerId owner, byte[] network) throws IOException {
        List<Ticket> issuedNow;
        List<Map.Entry<PeerId, ArrayDeque<Ticket>>> heldNow;
        List<Map.Entry<SocketAddress, PeerId>> addressesNow;
        synchronized (this) {
            issuedNow = new ArrayList<>(issued.values());
            heldNow = new ArrayList<>(held.entrySet());
            addressesNow = new ArrayList<>(addresses.entrySet());
            issued.clear();
            held.clear();
            addresses.clear();
        }
        long now = clock.millis();
        List<Ticket> all = new ArrayList<>(issuedNow);
        List<Ticket> issuedKept = new ArrayList<>();
        for (Ticket t : issuedNow) {
            if (usable(t, now, network)) {
                issuedKept.add(t);
            }
        }
        List<TicketState.Held> heldKept = new ArrayList<>();
        for (Map.Entry<PeerId, ArrayDeque<Ticket>> e : heldNow) {
            all.addAll(e.getValue());
            List<Ticket> tickets = new ArrayList<>();
            for (Ticket t : e.getValue()) {
                if (usable(t, now, network)) {
                    tickets.add(t);
                }
            }
            List<InetSocketAddress> at = new ArrayList<>();
            for (Map.Entry<SocketAddress, PeerId> a : addressesNow) {
                if (a.getValue().equals(e.getKey())
                        && a.getKey() instanceof InetSocketAddress ip
                        && ip.getAddress() != null) {
                    at.add(ip);
                }
            }
            if (!tickets.isEmpty() && !at.isEmpty()) {
                heldKept.add(new TicketState.Held(tickets, at));
            }
        }
        try {
            TicketState.Contents kept = new TicketState.Contents(issuedKept, heldKept);
            if (kept.count() == 0) {
                return 0;
            }
            byte[] state = TicketState.encode(owner, network, issuedKept, heldKept);
            try {
                store.save(state);
            } finally {
                Secret.wipe(state);
            }
            log.debug("saved {} resumption tickets", kept.count());
            return kept.count();
        } finally {
            all.forEach(Ticket::destroy);
        }
    }

    private static boolean usable(Ticket t, long now, byte[] network) {
        return !t.expired(now) && java.util.Arrays.equals(t.networkId(), network);
    }

    @Override
    public String toString() {
        return "ResumptionTickets[lifetime=" + lifetime + ", maxIssued=" + maxIssued + "]";
    }
}
