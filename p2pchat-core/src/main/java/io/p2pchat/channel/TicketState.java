package io.p2pchat.channel;

import io.p2pchat.crypto.Secret;
import io.p2pchat.identity.PeerId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The stored form of a context's resumption tickets ({@link ResumptionTicketStore}), version 1;
 * docs/security.md describes it for other implementations. Integers are big-endian.
 *
 * <pre>
 * state   = u8 version = 1 || owner (32) || u8 len(network) (0 or 32) || network
 *           || u16 n_issued (0..4096) || ticket * n_issued     issuer: unused, oldest first
 *           || u16 n_peers (0..1024) || peer * n_peers         holder: least recently used first
 * peer    = u8 n_tickets (1..4) || ticket * n_tickets (newest first, one peer's)
 *           || u16 n_addresses || address * n_addresses       (all peers: 1,024 addresses at most)
 * address = u8 len (4 or 16) || IP address || u16 port (1..65535)
 * ticket  = ticket id (32) || PSK (32) || i64 expires_at (epoch milliseconds) || u16 suite
 *           || u16 len(key) (1..4096) || the peer's RSA key (SubjectPublicKeyInfo, canonical DER)
 *           || u16 len(certificate) (0..16384) || the certificate the peer presented
 * </pre>
 *
 * {@code owner} is the key id of the context's identity and {@code network} its network id: a state
 * of another key (after a key rotation) or network is not used. Decoding trusts nothing: every
 * count and length is checked against its bound before anything is read or allocated, the state
 * must end exactly after the last peer, and a failure wipes every PSK decoded so far.
 */
final class TicketState {
    /** The version written and read. */
    static final int VERSION = 1;

    /** Length of a ticket's PSK. */
    static final int PSK_LENGTH = 32;

    /** The most issued tickets a state may hold. */
    static final int MAX_ISSUED = ResumptionTickets.DEFAULT_MAX_ISSUED;

    /** The longest peer key accepted. */
    static final int MAX_KEY = 4096;

    /** The longest certificate accepted: a handshake message. */
    static final int MAX_CERTIFICATE = HandshakeLimits.MAX_HANDSHAKE_MESSAGE;

    /** One peer's held tickets (newest first) and the addresses it was met at. */
    record Held(List<Ticket> tickets, List<InetSocketAddress> addresses) {
        Held {
            tickets = List.copyOf(tickets);
            addresses = List.copyOf(addresses);
        }
    }

    /** What a state holds: tickets the caller then owns. */
    record Contents(List<Ticket> issued, List<Held> held) {
        /** Wipes every PSK. */
        void destroy() {
            issued.forEach(Ticket::destroy);
            held.forEach(h -> h.tickets().forEach(Ticket::destroy));
        }

        /** Tickets in both roles. */
        int count() {
            return issued.size() + held.stream().mapToInt(h -> h.tickets().size()).sum();
        }
    }

    private TicketState() {}

    /**
     * Encodes {@code issued} and {@code held} (already filtered: unexpired, of {@code network});
     * when that would exceed {@link ResumptionTicketStore#MAX_STATE_BYTES}, drops issued tickets
     * and then held peers, oldest first. The tickets stay the caller's; the returned array holds
     * their PSKs and must be wiped.
     */
    static byte[] encode(PeerId owner, byte[] network, List<Ticket> issued, List<Held> held) {
        int from = 0;
        int peersFrom = 0;
        long size = 1 + PeerId.LENGTH + 1 + network.length + 2 + 2;
        for (Ticket t : issued) {
            size += size(t);
        }
        for (Held h : held) {
            size += size(h);
        }
        while (size > ResumptionTicketStore.MAX_STATE_BYTES) {
            size -= from < issued.size() ? size(issued.get(from++)) : size(held.get(peersFrom++));
        }
        ByteBuffer out = ByteBuffer.allocate((int) size);
        out.put((byte) VERSION).put(owner.toBytes()).put((byte) network.length).put(network);
        out.putShort((short) (issued.size() - from));
        for (Ticket t : issued.subList(from, issued.size())) {
            put(out, t);
        }
        out.putShort((short) (held.size() - peersFrom));
        for (Held h : held.subList(peersFrom, held.size())) {
            out.put((byte) h.tickets().size());
            for (Ticket t : h.tickets()) {
                put(out, t);
            }
            out.putShort((short) h.addresses().size());
            for (InetSocketAddress a : h.addresses()) {
                byte[] ip = a.getAddress().getAddress();
                out.put((byte) ip.length).put(ip).putShort((short) a.getPort());
            }
        }
        return out.array();
    }

    private static long size(Ticket t) {
        return ResumptionTickets.ID_LENGTH
                + PSK_LENGTH
                + 8
                + 2
                + 2
                + t.peerKey().getEncoded().length
                + 2
                + t.peerCertificate().length;
    }

    private static long size(Held h) {
        long size = 1 + 2;
        for (Ticket t : h.tickets()) {
            size += size(t);
        }
        for (InetSocketAddress a : h.addresses()) {
            size += 1 + a.getAddress().getAddress().length + 2;
        }
        return size;
    }

    private static void put(ByteBuffer out, Ticket t) {
        byte[] psk = t.psk();
        try {
            out.put(t.id()).put(psk).putLong(t.expiresAtMillis()).putShort((short) t.suite().id());
        } finally {
            Secret.wipe(psk);
        }
        byte[] key = t.peerKey().getEncoded();
        byte[] certificate = t.peerCertificate();
        out.putShort((short) key.length).put(key);
        out.putShort((short) certificate.length).put(certificate);
    }

    /**
     * Decodes {@code state}; returns null when it belongs to another owner or network. Tickets
     * expired at {@code now} are dropped (wiped); the expiry of the others is capped at {@code
     * issuedUntil} (issued) or {@code heldUntil} (held). Does not wipe {@code state}.
     *
     * @throws TicketStateException if the state is not well formed (nothing is returned then)
     */
    static @Nullable Contents decode(
            byte[] state, PeerId owner, byte[] network, long now, long issuedUntil, long heldUntil)
            throws TicketStateException {
        if (state.length > ResumptionTicketStore.MAX_STATE_BYTES) {
            throw new TicketStateException("state of " + state.length + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(state);
        List<Ticket> issued = new ArrayList<>();
        List<Held> held = new ArrayList<>();
        List<Ticket> all = new ArrayList<>();
        boolean done = false;
        try {
            int version = in.get() & 0xff;
            if (version != VERSION) {
                throw new TicketStateException("version " + version);
            }
            byte[] stateOwner = bytes(in, PeerId.LENGTH);
            int networkLength = in.get() & 0xff;
            if (networkLength != 0 && networkLength != HandshakeLimits.NETWORK_ID_LENGTH) {
                throw new TicketStateException("network id of " + networkLength + " bytes");
            }
            byte[] stateNetwork = bytes(in, networkLength);
            if (!MessageDigest.isEqual(stateOwner, owner.toBytes())
                    || !MessageDigest.isEqual(stateNetwork, network)) {
                return null;
            }
            int issuedCount = count(in.getShort(), MAX_ISSUED, "issued tickets");
            for (int i = 0; i < issuedCount; i++) {
                Ticket t = ticket(in, network, issuedUntil);
                all.add(t);
                keep(t, now, issued);
            }
            int peers = count(in.getShort(), ResumptionTickets.MAX_HELD_PEERS, "held peers");
            int addressCount = 0;
            for (int p = 0; p < peers; p++) {
                int n = in.get() & 0xff;
                if (n < 1 || n > ResumptionTickets.MAX_TICKETS_PER_PEER) {
                    throw new TicketStateException(n + " tickets of one peer");
                }
                List<Ticket> tickets = new ArrayList<>();
                PeerId peer = null;
                for (int i = 0; i < n; i++) {
                    Ticket t = ticket(in, network, heldUntil);
                    all.add(t);
                    if (peer != null && !peer.equals(t.peerId())) {
                        throw new TicketStateException("tickets of two peers in one peer entry");
                    }
                    peer = t.peerId();
                    keep(t, now, tickets);
                }
                int a = count(in.getShort(), ResumptionTickets.MAX_HELD_PEERS, "addresses");
                addressCount += a;
                if (addressCount > ResumptionTickets.MAX_HELD_PEERS) {
                    throw new TicketStateException("more than 1024 addresses");
                }
                List<InetSocketAddress> addresses = new ArrayList<>();
                for (int i = 0; i < a; i++) {
                    addresses.add(address(in));
                }
                if (!tickets.isEmpty()) {
                    held.add(new Held(tickets, addresses));
                }
            }
            if (in.hasRemaining()) {
                throw new TicketStateException(in.remaining() + " bytes after the last peer");
            }
            done = true;
            return new Contents(issued, held);
        } catch (BufferUnderflowException e) {
            throw new TicketStateException("truncated state");
        } finally {
            if (!done) {
                all.forEach(Ticket::destroy);
            }
        }
    }

    private static void keep(Ticket t, long now, List<Ticket> into) {
        if (t.expired(now)) {
            t.destroy();
        } else {
            into.add(t);
        }
    }

    private static int count(short value, int max, String what) throws TicketStateException {
        int n = value & 0xffff;
        if (n > max) {
            throw new TicketStateException(n + " " + what + " (at most " + max + ")");
        }
        return n;
    }

    private static byte[] bytes(ByteBuffer in, int length) {
        byte[] b = new byte[length];
        in.get(b);
        return b;
    }

    /** One ticket, its expiry capped at {@code until}; its PSK is the new ticket's. */
    private static Ticket ticket(ByteBuffer in, byte[] network, long until)
            throws TicketStateException {
        byte[] id = bytes(in, ResumptionTickets.ID_LENGTH);
        byte[] psk = bytes(in, PSK_LENGTH);
        try {
            long expires = in.getLong();
            int suiteId = in.getShort() & 0xffff;
            CipherSuite suite = CipherSuite.fromId(suiteId);
            if (suite == null) {
                throw new TicketStateException("unknown suite 0x" + Integer.toHexString(suiteId));
            }
            int keyLength = in.getShort() & 0xffff;
            if (keyLength < 1 || keyLength > MAX_KEY) {
                throw new TicketStateException("peer key of " + keyLength + " bytes");
            }
            byte[] spki = bytes(in, keyLength);
            int certificateLength = count(in.getShort(), MAX_CERTIFICATE, "certificate bytes");
            byte[] certificate = bytes(in, certificateLength);
            Ticket t;
            try {
                t =
                        new Ticket(
                                id,
                                psk,
                                PeerId.ofSubjectPublicKeyInfo(spki),
                                HandshakeProtocol.decodeRsaKey(spki),
                                certificate,
                                suite,
                                network,
                                Math.min(expires, until));
            } catch (HandshakeException e) {
                throw new TicketStateException("peer key: " + e.getMessage());
            }
            psk = null; // the ticket owns it now
            return t;
        } finally {
            Secret.wipe(psk);
        }
    }

    private static InetSocketAddress address(ByteBuffer in) throws TicketStateException {
        int length = in.get() & 0xff;
        if (length != 4 && length != 16) {
            throw new TicketStateException("IP address of " + length + " bytes");
        }
        byte[] ip = bytes(in, length);
        int port = in.getShort() & 0xffff;
        if (port == 0) {
            throw new TicketStateException("port 0");
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (UnknownHostException e) {
            throw new TicketStateException("IP address of " + length + " bytes");
        }
    }
}
