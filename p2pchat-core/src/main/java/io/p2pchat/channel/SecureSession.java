package io.p2pchat.channel;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.p2pchat.identity.PeerId;
import java.security.interfaces.RSAPublicKey;
import java.util.Optional;

/**
 * An established, mutually authenticated secure channel: who the peer is, how the channel is
 * protected, and the operations on its keys.
 *
 * <p>Obtain it from the {@link io.p2pchat.channel.HandshakeCompletionEvent}, from {@link
 * io.p2pchat.channel.HandshakeHandler#handshakeFuture()}, or with {@link #of(Channel)}.
 *
 * <h2>Threading</h2>
 *
 * All methods may be called from any thread. Operations that change keys run on the channel's event
 * loop and report through the returned future.
 */
public interface SecureSession {
    /** The channel attribute under which the session is stored once established. */
    AttributeKey<SecureSession> ATTRIBUTE = AttributeKey.valueOf(SecureSession.class, "session");

    /** The session of {@code channel}, once its handshake has completed. */
    static Optional<SecureSession> of(Channel channel) {
        return Optional.ofNullable(channel.attr(ATTRIBUTE).get());
    }

    /** The channel this session protects. */
    Channel channel();

    /** This peer's role in the handshake. */
    Role role();

    /** The authenticated peer. */
    PeerId peerId();

    /** The peer's RSA identity key. */
    RSAPublicKey peerPublicKey();

    /** The credential the peer presented for verification (a copy; possibly empty). */
    byte[] peerCertificate();

    /**
     * Whether the handshake was signed with delegated credentials (Ed25519 keys certified by the
     * identity keys, docs/protocol.md §5.10) rather than with the RSA identity keys themselves.
     */
    boolean delegatedCredentials();

    /**
     * Whether the handshake resumed an earlier session with a single-use ticket (docs/protocol.md
     * §5.11): a fresh key exchange authenticated by the ticket's key instead of signatures; the
     * peer's identity and certificate are those of the earlier session, checked again by the peer
     * verifier.
     */
    boolean resumed();

    /** The listen address the peer announced, if it was the initiator and listens. */
    Optional<String> peerListenAddress();

    /**
     * The network id the peer announced in its (transcript-authenticated) hello: on a channel bound
     * to a network, that network's id; empty when the peer was an unbound initiator accepted by
     * {@link SecureChannelContext.Builder#acceptUnboundInitiators}; the responder's network,
     * whatever it is, on a channel opened with {@link SecureChannelContext.Builder#discoverNetwork}
     * (docs/protocol.md §5.9). A copy.
     */
    byte[] peerNetworkId();

    /** The negotiated protocol version. */
    int protocolVersion();

    /** The negotiated cipher suite. */
    CipherSuite cipherSuite();

    /** The peer's identity fingerprint: its id in groups of four hex digits. */
    default String peerFingerprint() {
        return peerId().fingerprint();
    }

    /**
     * A 30-digit safety number derived from the handshake: both peers see the same number, and a
     * man in the middle could not make them equal.
     */
    String sessionFingerprint();

    /**
     * The digest of the application records exchanged so far in both directions, when the context
     * enables {@code recordDigest}; both ends of the channel see the same digest after the same
     * records. Not the conversation fingerprint people compare, which is over messages ({@link
     * ConversationDigest}, kept by the application).
     */
    Optional<RecordDigest> recordDigest();

    /**
     * Derives keying material bound to this channel (TLS 1.3-style exporter, docs/protocol.md,
     * "Exporter"). Both peers get the same bytes for the same label and context; different labels
     * or contexts give independent bytes.
     *
     * @param label an ASCII label of 1 to 200 characters naming the use
     * @param context application context, up to 65535 bytes, possibly empty
     * @param length output length, 1 to 8160 bytes
     * @throws IllegalStateException if the channel has closed
     */
    byte[] exportKeyingMaterial(String label, byte[] context, int length);

    /**
     * Moves the outbound direction to the next key now, and optionally asks the peer to do the same
     * with its outbound direction.
     *
     * @return completes once the key update record is written
     */
    Future<Void> rotateKeys(boolean requestPeerUpdate);

    /**
     * Runs a fresh ephemeral key exchange inside the channel now (post-compromise security).
     *
     * @return completes once both directions use the new keys
     */
    Future<Void> rekey();

    /**
     * When the handshake reached each of its milestones (hello, key agreement, signature, peer
     * verification, finished), measured on this side; empty for a session not established by a
     * {@link HandshakeHandler}.
     */
    default Optional<HandshakeTimings> handshakeTimings() {
        return Optional.empty();
    }

    /** Counters of the session. */
    SessionStats stats();
}
