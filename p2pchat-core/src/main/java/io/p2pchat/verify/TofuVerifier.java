package io.p2pchat.verify;

import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.PeerCredentials;
import io.p2pchat.channel.PeerVerificationException;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.channel.Role;
import io.p2pchat.identity.PeerId;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trust on first use, as SSH's {@code known_hosts}: the first identity seen at an endpoint is
 * remembered on disk, and a different identity at that endpoint later is refused loudly.
 *
 * <h2>Endpoints</h2>
 *
 * Identities are remembered by endpoint, a {@code "host:port"} string:
 *
 * <ul>
 *   <li>when we dialed the peer (it is the {@link Role#RESPONDER}), the address we connected to,
 *       {@link PeerCredentials#remoteAddress()}: its host name if we dialed a name, else its IP
 *       address;
 *   <li>when the peer dialed us (it is the {@link Role#INITIATOR}), the listen address it
 *       announced, {@link PeerCredentials#listenAddress()}, since its source port is ephemeral.
 * </ul>
 *
 * Host names are compared case-insensitively and IPv6 literals in canonical form ({@code
 * [0:0:0:0:0:0:0:1]:7000}); otherwise endpoints are compared as text, so {@code localhost:7000} and
 * {@code 127.0.0.1:7000} are two endpoints. A peer with no endpoint (an initiator that announces no
 * listen address or a wildcard one such as {@code 0.0.0.0}, or a channel that is not IP, such as
 * Netty's local transport) is <b>accepted without being remembered or checked</b>. An announced
 * address that is not a valid {@code host:port} is refused with {@link ErrorCode#MALFORMED}.
 *
 * <h2>Decisions</h2>
 *
 * <ul>
 *   <li>Unknown endpoint that we dialed: remember endpoint → peer id in the file, then accept. If
 *       the file cannot be written, refuse with {@link ErrorCode#INTERNAL_ERROR}: a first use that
 *       would be forgotten is not recorded trust.
 *   <li>Unknown endpoint that an initiator announced: accept, but do not remember it. Announced
 *       addresses are claims; only addresses we dial ourselves are learned.
 *   <li>Known endpoint, same id: accept.
 *   <li>Known endpoint, another id: refuse with {@link ErrorCode#KEY_CHANGED}, naming the endpoint
 *       and both fingerprints, and log the same at WARN. To accept a legitimate change, call {@link
 *       #forget(String)} (or delete the line) and connect again.
 * </ul>
 *
 * <h2>Warning</h2>
 *
 * TOFU trusts whoever answers first: a man in the middle at the first contact is remembered as the
 * peer. An announced listen address is a claim, not a proof, so it is only ever checked against an
 * endpoint we dialed before, never learned; initiators can also avoid the check by announcing
 * nothing. Compare fingerprints out of band, or use {@link PinnedKeysVerifier} or the ledger, where
 * that matters.
 *
 * <h2>File format</h2>
 *
 * UTF-8 text, one {@code host:port peer-id} per line, the id as 64 hex digits; blank lines and
 * lines starting with {@code #} are ignored. The file is rewritten whole, atomically, with mode
 * {@code 0600} on POSIX, at each change; comments other than the header are not kept. A malformed
 * file is refused by {@link #open} with the line number.
 *
 * <pre>
 * # p2pchat known peers ...
 * example.org:7000 3f2a9c...(64 hex digits)
 * [0:0:0:0:0:0:0:1]:7001 8b01e4...
 * </pre>
 *
 * <h2>Threading</h2>
 *
 * Thread-safe; {@link #verify} is called concurrently from crypto threads. Lookups take no lock.
 * Changes (a first use, {@link #forget}) are serialized by one lock that is held while the file is
 * written, so that memory never holds trust the file lacks; a first use therefore blocks for one
 * fsync. The file is read only by {@link #open}: do not edit it while a verifier uses it, and use
 * one verifier per file per process.
 */
public final class TofuVerifier implements PeerVerifier {
    private static final Logger log = LoggerFactory.getLogger(TofuVerifier.class);

    /** Longest endpoint accepted, in characters: a 255-character host, brackets and a port. */
    public static final int MAX_ENDPOINT_LENGTH = 255 + 2 + 6;

    private static final String HEADER =
            "# p2pchat known peers (trust on first use): one \"host:port peer-id\" per line.\n"
                    + "# To accept a changed key, delete its line or call"
                    + " TofuVerifier.forget(endpoint).\n";

    private static final Pattern HOST_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");

    /** Starts with a hex digit or ':' and has a ':', so the JDK parses it and never resolves it. */
    private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9a-f:][0-9a-f.]*:[0-9a-f:.]*");

    private static final Pattern ZONE = Pattern.compile("(%[A-Za-z0-9_.-]+)?");

    private final Path file;

    /** Endpoint → id. Read without locking; changed only under {@link #writeLock}. */
    private final ConcurrentHashMap<String, PeerId> known;

    /** Serializes changes to {@link #known} and to the file, held during the file write. */
    private final ReentrantLock writeLock = new ReentrantLock();

    private TofuVerifier(Path file, Map<String, PeerId> known) {
        this.file = file;
        this.known = new ConcurrentHashMap<>(known);
    }

    /**
     * Opens the known-peers file at {@code file}, reading it if it exists. A missing file is
     * created at the first remembered peer.
     *
     * @throws NoSuchFileException if the file's directory does not exist
     * @throws IOException if the file cannot be read, or is malformed (the message names the line)
     */
    public static TofuVerifier open(Path file) throws IOException {
        Path absolute = Objects.requireNonNull(file, "file").toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NoSuchFileException(
                    String.valueOf(dir), null, "directory of the known-peers file does not exist");
        }
        Map<String, PeerId> known =
                Files.exists(absolute) ? parse(absolute, Files.readAllBytes(absolute)) : Map.of();
        log.debug("Opened known-peers file {} with {} entries", absolute, known.size());
        return new TofuVerifier(absolute, known);
    }

    /**
     * Accepts the peer on first use of its endpoint or when it shows the remembered identity;
     * otherwise refuses it.
     *
     * @throws PeerVerificationException with {@link ErrorCode#KEY_CHANGED} if another identity is
     *     remembered for the endpoint, {@link ErrorCode#MALFORMED} if the announced listen address
     *     is not {@code host:port}, {@link ErrorCode#INTERNAL_ERROR} if a first use cannot be
     *     saved, or {@link ErrorCode#ID_KEY_MISMATCH} if the credentials' id is not the hash of
     *     their key
     */
    @Override
    public void verify(PeerCredentials peer) throws PeerVerificationException {
        PeerId id = peer.peerId();
        if (!id.matches(peer.publicKey())) {
            // The handshake guarantees this; checked again because the decision rests on it.
            throw new PeerVerificationException(
                    ErrorCode.ID_KEY_MISMATCH,
                    "peer " + id.shortId() + " is not the SHA-256 of the key it presented");
        }
        Optional<String> endpoint = endpointOf(peer);
        if (endpoint.isEmpty()) {
            log.debug("Peer {} has no endpoint; accepted without TOFU", id.shortId());
            return;
        }
        String ep = endpoint.get();
        PeerId remembered = known.get(ep);
        if (remembered == null) {
            if (peer.peerRole() == Role.INITIATOR) {
                // An announced address is a claim: check it against what we know, never learn it,
                // or any initiator could become the "first use" of someone else's endpoint.
                log.debug(
                        "Peer {} announced unknown endpoint {}; accepted, not remembered",
                        id.shortId(),
                        ep);
                return;
            }
            remembered = rememberFirstUse(ep, id);
        }
        if (!remembered.equals(id)) {
            String message =
                    "the peer at "
                            + ep
                            + " presented the identity with fingerprint "
                            + id.fingerprint()
                            + ", but "
                            + file
                            + " remembers the identity with fingerprint "
                            + remembered.fingerprint()
                            + " for that endpoint. Someone may be intercepting the connection,"
                            + " or the peer changed its key. If the change is expected, call"
                            + " TofuVerifier.forget(\""
                            + ep
                            + "\") or delete its line from the file.";
            log.warn("KEY CHANGED: {}", message);
            throw new PeerVerificationException(ErrorCode.KEY_CHANGED, message);
        }
    }

    /** Returns the id now remembered for {@code ep}: {@code id} itself unless another won. */
    private PeerId rememberFirstUse(String ep, PeerId id) throws PeerVerificationException {
        writeLock.lock();
        try {
            PeerId existing = known.get(ep);
            if (existing != null) {
                return existing; // another thread remembered it meanwhile
            }
            SortedMap<String, PeerId> next = new TreeMap<>(known);
            next.put(ep, id);
            try {
                write(next);
            } catch (IOException e) {
                log.warn("Cannot remember peer {} at {} in {}: {}", id.shortId(), ep, file, e);
                throw new PeerVerificationException(
                        ErrorCode.INTERNAL_ERROR,
                        "cannot record the first use of " + ep + " in " + file + ": " + e);
            }
            known.put(ep, id);
            log.info(
                    "Trusting peer {} at {} on first use (fingerprint {})",
                    id.shortId(),
                    ep,
                    id.fingerprint());
            return id;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Forgets the identity remembered for {@code endpoint}, so that the next peer seen there is a
     * first use again. Use it after checking out of band that a peer really changed its key.
     *
     * @param endpoint {@code host:port}, in any form this verifier normalizes
     * @return whether an identity was remembered for it
     * @throws IllegalArgumentException if {@code endpoint} is not {@code host:port}
     * @throws IOException if the file cannot be written; then nothing is forgotten
     */
    public boolean forget(String endpoint) throws IOException {
        String ep = requireEndpoint(endpoint);
        writeLock.lock();
        try {
            PeerId removed = known.get(ep);
            if (removed == null) {
                return false;
            }
            SortedMap<String, PeerId> next = new TreeMap<>(known);
            next.remove(ep);
            write(next);
            known.remove(ep);
            log.info("Forgot peer {} at {}", removed.shortId(), ep);
            return true;
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * The identity remembered for {@code endpoint}, if any.
     *
     * @throws IllegalArgumentException if {@code endpoint} is not {@code host:port}
     */
    public Optional<PeerId> knownPeer(String endpoint) {
        return Optional.ofNullable(known.get(requireEndpoint(endpoint)));
    }

    /** A snapshot of all remembered endpoints and identities, sorted by endpoint. */
    public SortedMap<String, PeerId> knownPeers() {
        return Collections.unmodifiableSortedMap(new TreeMap<>(known));
    }

    /** The known-peers file, as an absolute path. */
    public Path file() {
        return file;
    }

    @Override
    public String toString() {
        return "TofuVerifier[" + file + ", " + known.size() + " known]";
    }

    // --- endpoints ---

    /**
     * The endpoint identities are remembered under for {@code peer}, or empty if it has none.
     *
     * @throws PeerVerificationException with {@link ErrorCode#MALFORMED} for an invalid announced
     *     listen address
     */
    static Optional<String> endpointOf(PeerCredentials peer) throws PeerVerificationException {
        if (peer.peerRole() == Role.RESPONDER) {
            return peer.remoteAddress().flatMap(TofuVerifier::endpointOfAddress);
        }
        String announced = peer.listenAddress().orElse("");
        if (announced.isEmpty()) {
            return Optional.empty();
        }
        String ep = normalize(announced);
        if (ep == null) {
            throw new PeerVerificationException(
                    ErrorCode.MALFORMED,
                    "peer "
                            + peer.peerId().shortId()
                            + " announced a listen address that is not host:port ("
                            + announced.length()
                            + " characters)");
        }
        return isWildcard(ep) ? Optional.empty() : Optional.of(ep);
    }

    private static Optional<String> endpointOfAddress(SocketAddress address) {
        if (!(address instanceof InetSocketAddress)) {
            return Optional.empty(); // local or embedded transport: no endpoint
        }
        InetSocketAddress inet = (InetSocketAddress) address;
        String host = inet.getHostString();
        String ep =
                normalize(
                        (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort());
        return ep == null || isWildcard(ep) ? Optional.empty() : Optional.of(ep);
    }

    private static boolean isWildcard(String ep) {
        return ep.startsWith("0.0.0.0:") || ep.startsWith("[0:0:0:0:0:0:0:0]:");
    }

    private static String requireEndpoint(String endpoint) {
        Objects.requireNonNull(endpoint, "endpoint");
        String ep = normalize(endpoint);
        if (ep == null) {
            throw new IllegalArgumentException(
                    "endpoint: \""
                            + printable(endpoint)
                            + "\" (expected: host:port, with IPv6 in brackets and port"
                            + " 1..65535)");
        }
        return ep;
    }

    /**
     * The canonical form of {@code text} as {@code host:port}, or {@code null} if it is not one:
     * host name lowercased, IPv6 literal canonical, port without leading zeros. Never resolves a
     * name.
     */
    static @Nullable String normalize(String text) {
        if (text.isEmpty() || text.length() > MAX_ENDPOINT_LENGTH) {
            return null;
        }
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1 || text.length() - colon - 1 > 5) {
            return null;
        }
        String portText = text.substring(colon + 1);
        if (!portText.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        int port = Integer.parseInt(portText);
        if (port < 1 || port > 65535) {
            return null;
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[")) {
            if (host.length() < 3 || !host.endsWith("]")) {
                return null;
            }
            String literal = canonicalIpv6(host.substring(1, host.length() - 1));
            return literal == null ? null : literal + ":" + port;
        }
        host = host.toLowerCase(Locale.ROOT);
        return HOST_NAME.matcher(host).matches() ? host + ":" + port : null;
    }

    /** {@code [canonical]}, or a bare IPv4 for a mapped address, or null if not a literal. */
    private static @Nullable String canonicalIpv6(String literal) {
        int percent = literal.indexOf('%');
        String address =
                (percent < 0 ? literal : literal.substring(0, percent)).toLowerCase(Locale.ROOT);
        String zone = percent < 0 ? "" : literal.substring(percent);
        if (!IPV6_LITERAL.matcher(address).matches() || !ZONE.matcher(zone).matches()) {
            return null;
        }
        try {
            // A text that starts with a hex digit or ':' and contains ':' is parsed as an IPv6
            // literal, never looked up in DNS (InetAddress.getAllByName).
            InetAddress parsed = InetAddress.getByName(address);
            if (parsed instanceof Inet4Address) {
                return parsed.getHostAddress();
            }
            return "[" + parsed.getHostAddress() + zone + "]";
        } catch (UnknownHostException | RuntimeException e) {
            return null;
        }
    }

    // --- file ---

    private static Map<String, PeerId> parse(Path file, byte[] bytes) throws IOException {
        String text;
        try {
            text =
                    StandardCharsets.UTF_8
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes))
                            .toString();
        } catch (CharacterCodingException e) {
            throw new IOException("known-peers file " + file + " is not UTF-8 text", e);
        }
        Map<String, PeerId> known = new TreeMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            String ep = fields.length == 2 ? normalize(fields[0]) : null;
            PeerId id = fields.length == 2 ? parseId(fields[1]) : null;
            if (ep == null || id == null) {
                throw new IOException(
                        "known-peers file "
                                + file
                                + ", line "
                                + (i + 1)
                                + ": expected \"host:port peer-id\" with a 64-hex-digit id, found"
                                + " \""
                                + printable(line)
                                + "\"");
            }
            PeerId previous = known.putIfAbsent(ep, id);
            if (previous != null && !previous.equals(id)) {
                throw new IOException(
                        "known-peers file "
                                + file
                                + ", line "
                                + (i + 1)
                                + ": endpoint "
                                + ep
                                + " is listed twice with different identities");
            }
        }
        return known;
    }

    private static @Nullable PeerId parseId(String hex) {
        if (hex.length() != 2 * PeerId.LENGTH) {
            return null;
        }
        try {
            return PeerId.fromHex(hex);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private void write(SortedMap<String, PeerId> entries) throws IOException {
        StringBuilder text = new StringBuilder(HEADER);
        entries.forEach((ep, id) -> text.append(ep).append(' ').append(id.toHex()).append('\n'));
        AtomicFiles.write(file, text.toString().getBytes(StandardCharsets.UTF_8), true);
    }

    /** At most 80 characters of {@code s}, control characters replaced, for messages. */
    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
