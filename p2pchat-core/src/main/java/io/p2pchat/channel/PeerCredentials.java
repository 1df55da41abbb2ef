package io.p2pchat.channel;

import io.p2pchat.identity.PeerId;
import java.net.SocketAddress;
import java.security.interfaces.RSAPublicKey;
import java.util.Objects;
import java.util.Optional;

/**
 * What a peer proved and claimed in a handshake, handed to a {@link PeerVerifier}.
 *
 * @param peerId the id, SHA-256 of the public key's SubjectPublicKeyInfo
 * @param publicKey the identity key whose signature over the transcript verified
 * @param certificate the credential the peer presented for the verifier, possibly empty (a copy is
 *     returned by {@link #certificate()})
 * @param remoteAddress the address the connection comes from, if known
 * @param listenAddress the "host:port" the initiator says it listens on; empty for responders and
 *     for initiators that do not listen
 * @param peerRole the peer's role in this handshake
 */
public record PeerCredentials(
        PeerId peerId,
        RSAPublicKey publicKey,
        byte[] certificate,
        Optional<SocketAddress> remoteAddress,
        Optional<String> listenAddress,
        Role peerRole) {

    /** Validates and copies. */
    public PeerCredentials {
        Objects.requireNonNull(peerId, "peerId");
        Objects.requireNonNull(publicKey, "publicKey");
        certificate = certificate.clone();
        Objects.requireNonNull(remoteAddress, "remoteAddress");
        Objects.requireNonNull(listenAddress, "listenAddress");
        Objects.requireNonNull(peerRole, "peerRole");
    }

    /** The certificate bytes (a copy). */
    @Override
    public byte[] certificate() {
        return certificate.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerCredentials
                && peerId.equals(((PeerCredentials) o).peerId)
                && java.util.Arrays.equals(certificate, ((PeerCredentials) o).certificate)
                && remoteAddress.equals(((PeerCredentials) o).remoteAddress)
                && listenAddress.equals(((PeerCredentials) o).listenAddress)
                && peerRole == ((PeerCredentials) o).peerRole;
    }

    @Override
    public int hashCode() {
        return peerId.hashCode();
    }

    @Override
    public String toString() {
        return "PeerCredentials[peer="
                + peerId.shortId()
                + ", certificate="
                + certificate.length
                + " bytes, remote="
                + remoteAddress.map(Object::toString).orElse("?")
                + ", role="
                + peerRole
                + "]";
    }
}
