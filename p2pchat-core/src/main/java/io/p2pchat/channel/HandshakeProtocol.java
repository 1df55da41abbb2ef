package io.p2pchat.channel;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.p2pchat.crypto.Ed25519;
import io.p2pchat.crypto.HmacSha256;
import io.p2pchat.crypto.KeySchedule;
import io.p2pchat.crypto.RsaPss;
import io.p2pchat.crypto.Secret;
import io.p2pchat.crypto.TranscriptHash;
import io.p2pchat.identity.PeerId;
import io.p2pchat.identity.RsaKeySizes;
import io.p2pchat.proto.AuthMessage;
import io.p2pchat.proto.HelloMessage;
import io.p2pchat.proto.PeerIdentity;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What the initiator and responder handshakes share: the transcript, the handshake secrets, and the
 * authentication step (identity, signature, Finished) in both directions.
 *
 * <p>Pure protocol logic with no Netty and no threads; see {@code docs/protocol.md}, "Handshake".
 * Not thread-safe: a handshake is driven by one thread at a time.
 */
abstract class HandshakeProtocol {
    final HandshakeConfig config;
    final SecureRandom random;
    final Role role;
    final TranscriptHash transcript = new TranscriptHash();

    CipherSuite suite;
    int version;
    int ratchetRecords;
    long ratchetBytes;
    int peerMaxFrameLength;
    Optional<String> peerListenAddress = Optional.empty();
    byte[] peerNetworkId = new byte[0];

    byte[] handshakeSecret;
    byte[] initiatorHandshakeSecret;
    byte[] responderHandshakeSecret;

    PeerId peerId;
    RSAPublicKey peerKey;
    byte[] peerCertificate;

    /** The negotiated delegated-credential scheme, 0 for none (docs/protocol.md 5.10). */
    int credentialScheme;

    /** This side's credential when one is offered or negotiated. */
    CredentialKeeper.@Nullable Own ownCredential;

    /**
     * The ticket offered (initiator) or redeemed (responder) for resumption (docs/protocol.md
     * 5.11); owned by this handshake, its PSK is wiped by {@link #destroy()}.
     */
    @Nullable Ticket ticket;

    /** Whether this handshake resumes: a ticket was offered, found, and accepted. */
    boolean resumed;

    /** Whether a NewTicket follows the handshake (the initiator asked, the responder issues). */
    boolean ticketFollows;

    HandshakeProtocol(HandshakeConfig config, SecureRandom random, Role role) {
        this.config = config;
        this.random = random;
        this.role = role;
    }

    /**
     * Whether this side's AuthMessage is signed with the RSA identity key (a full handshake without
     * a delegated credential), the one step that takes milliseconds; known once the hellos are
     * exchanged.
     */
    final boolean signsWithIdentityKey() {
        return !resumed && credentialScheme == 0;
    }

    /** The negotiated suite, once known. */
    public CipherSuite suite() {
        return suite;
    }

    /** The handshake traffic secret this side sends with (a copy the caller must wipe). */
    public byte[] sendHandshakeSecret() {
        return (role == Role.INITIATOR ? initiatorHandshakeSecret : responderHandshakeSecret)
                .clone();
    }

    /** The handshake traffic secret the peer sends with (a copy the caller must wipe). */
    public byte[] receiveHandshakeSecret() {
        return (role == Role.INITIATOR ? responderHandshakeSecret : initiatorHandshakeSecret)
                .clone();
    }

    /** The current transcript hash; for test vectors. */
    public byte[] transcriptHashForTesting() {
        return transcript.current();
    }

    /** What the peer proved, for the peer verifier; valid after the peer's auth verified. */
    public io.p2pchat.channel.PeerCredentials peerCredentials(
            Optional<java.net.SocketAddress> remoteAddress) {
        return new io.p2pchat.channel.PeerCredentials(
                peerId, peerKey, peerCertificate, remoteAddress, peerListenAddress, role.peer());
    }

    /**
     * Derives the handshake secrets from the shared secret and the two hellos; in a resumed
     * handshake, from the ticket's PSK too (docs/protocol.md 5.11).
     */
    final void deriveHandshakeSecrets(byte[] sharedSecret) {
        if (resumed) {
            byte[] psk = ticket.psk();
            byte[] early = KeySchedule.earlySecret(psk);
            handshakeSecret = KeySchedule.resumedHandshakeSecret(early, sharedSecret);
            Secret.wipe(psk, early);
        } else {
            handshakeSecret = KeySchedule.handshakeSecret(sharedSecret);
        }
        byte[] helloHash = transcript.current();
        initiatorHandshakeSecret =
                KeySchedule.handshakeTrafficSecret(handshakeSecret, true, helloHash);
        responderHandshakeSecret =
                KeySchedule.handshakeTrafficSecret(handshakeSecret, false, helloHash);
    }

    /**
     * Builds this side's AuthMessage and adds identity, signature and Finished to the transcript.
     * Signs with the delegated credential's key when one was negotiated, else with the RSA identity
     * key (docs/protocol.md 5.6, 5.10).
     */
    public final byte[] buildAuth(byte[] certificate) throws HandshakeException {
        if (resumed) {
            return AuthMessage.newBuilder()
                    .setFinished(ByteString.copyFrom(addFinished()))
                    .build()
                    .toByteArray();
        }
        boolean initiator = role == Role.INITIATOR;
        PeerIdentity.Builder id =
                PeerIdentity.newBuilder()
                        .setPublicKey(ByteString.copyFrom(config.identity().subjectPublicKeyInfo()))
                        .setCertificate(ByteString.copyFrom(certificate));
        if (credentialScheme != 0) {
            id.setDelegatedCredential(ByteString.copyFrom(ownCredential.encoded()));
        }
        byte[] identity = id.build().toByteArray();
        transcript.add(identity);
        byte[] signature;
        if (credentialScheme != 0) {
            signature =
                    ownCredential
                            .key()
                            .sign(
                                    KeySchedule.credentialSignatureInput(
                                            initiator, transcript.current()));
        } else {
            try {
                signature =
                        config.identity()
                                .sign(
                                        KeySchedule.signatureInput(initiator, transcript.current()),
                                        random);
            } catch (GeneralSecurityException e) {
                throw new HandshakeException(ErrorCode.INTERNAL_ERROR, "signing failed", e);
            }
        }
        transcript.add(signature);
        byte[] finished = addFinished();
        return AuthMessage.newBuilder()
                .setIdentity(ByteString.copyFrom(identity))
                .setSignature(ByteString.copyFrom(signature))
                .setFinished(ByteString.copyFrom(finished))
                .build()
                .toByteArray();
    }

    /** This side's Finished over the transcript so far, which it then joins. */
    private byte[] addFinished() {
        byte[] finishedKey = KeySchedule.finishedKey(handshakeSecretOf(role));
        byte[] finished = HmacSha256.mac(finishedKey, transcript.current());
        Secret.wipe(finishedKey);
        transcript.add(finished);
        return finished;
    }

    /**
     * The peer's AuthMessage of a resumed handshake (docs/protocol.md 5.11): Finished only; the
     * peer is the ticket's.
     */
    private void verifyResumedAuth(AuthMessage auth) throws HandshakeException {
        if (!auth.getIdentity().isEmpty() || !auth.getSignature().isEmpty()) {
            throw new HandshakeException(
                    ErrorCode.UNEXPECTED_MESSAGE, "identity or signature in a resumed handshake");
        }
        checkFinished(auth.getFinished().toByteArray());
        this.peerId = ticket.peerId();
        this.peerKey = ticket.peerKey();
        this.peerCertificate = ticket.peerCertificate();
    }

    /** Checks the peer's Finished over the transcript so far, which it then joins. */
    private void checkFinished(byte[] finished) throws HandshakeException {
        byte[] finishedKey = KeySchedule.finishedKey(handshakeSecretOf(role.peer()));
        boolean ok = HmacSha256.verify(finishedKey, transcript.current(), finished);
        Secret.wipe(finishedKey);
        if (!ok) {
            throw HandshakeException.authenticationFailed(ErrorCode.BAD_FINISHED);
        }
        transcript.add(finished);
    }

    private byte[] handshakeSecretOf(Role signer) {
        return signer == Role.INITIATOR ? initiatorHandshakeSecret : responderHandshakeSecret;
    }

    /**
     * Checks the peer's AuthMessage in the order of docs/protocol.md 5.6 and 5.10: identity,
     * delegated credential (when negotiated), signature over the transcript, Finished. Adds the
     * three to the transcript.
     */
    final void verifyPeerAuth(byte[] authBytes) throws HandshakeException {
        AuthMessage auth;
        PeerIdentity identity;
        try {
            auth = AuthMessage.parseFrom(authBytes);
            identity = PeerIdentity.parseFrom(auth.getIdentity());
        } catch (InvalidProtocolBufferException e) {
            throw new HandshakeException(ErrorCode.MALFORMED, "undecodable authentication message");
        }
        if (resumed) {
            verifyResumedAuth(auth);
            return;
        }
        byte[] spki = identity.getPublicKey().toByteArray();
        RSAPublicKey key = decodeRsaKey(spki);
        PeerId id = PeerId.ofSubjectPublicKeyInfo(spki);
        if (id.equals(config.identity().peerId())) {
            throw new HandshakeException(
                    ErrorCode.REFLECTION_DETECTED, "the peer presented our own identity");
        }
        DelegatedCredential credential = checkCredential(identity, id, key);
        boolean peerIsInitiator = role.peer() == Role.INITIATOR;
        transcript.add(auth.getIdentity().toByteArray());
        byte[] signature = auth.getSignature().toByteArray();
        boolean signed =
                credential != null
                        ? Ed25519.verify(
                                credential.publicKey(),
                                KeySchedule.credentialSignatureInput(
                                        peerIsInitiator, transcript.current()),
                                signature)
                        : RsaPss.verify(
                                key,
                                KeySchedule.signatureInput(peerIsInitiator, transcript.current()),
                                signature);
        if (!signed) {
            throw HandshakeException.authenticationFailed(ErrorCode.BAD_SIGNATURE);
        }
        transcript.add(signature);
        checkFinished(auth.getFinished().toByteArray());
        this.peerId = id;
        this.peerKey = key;
        this.peerCertificate = identity.getCertificate().toByteArray();
    }

    /**
     * The peer's delegated credential, checked (docs/protocol.md 5.10), or null when none was
     * negotiated. The cheap checks run first; the RSA verification is skipped for a credential that
     * verified before.
     */
    private @Nullable DelegatedCredential checkCredential(
            PeerIdentity identity, PeerId id, RSAPublicKey key) throws HandshakeException {
        byte[] encoded = identity.getDelegatedCredential().toByteArray();
        if (credentialScheme == 0) {
            if (encoded.length != 0) {
                throw new HandshakeException(
                        ErrorCode.UNEXPECTED_MESSAGE, "delegated credential not negotiated");
            }
            return null;
        }
        if (encoded.length == 0) {
            throw HandshakeException.authenticationFailed(ErrorCode.BAD_CREDENTIAL);
        }
        DelegatedCredential credential = DelegatedCredential.decode(encoded, credentialScheme);
        CredentialKeeper keeper = config.credentials();
        credential.checkClaims(id, peerNetworkId, keeper.clock().millis());
        byte[] digest = credential.digest();
        if (!keeper.isVerified(digest)) {
            if (!credential.signatureValid(key)) {
                throw HandshakeException.authenticationFailed(ErrorCode.BAD_CREDENTIAL);
            }
            keeper.markVerified(digest);
        }
        return credential;
    }

    /**
     * Parses a HELLO payload and checks that it carries the body this side expects.
     *
     * @param fromInitiator whether an {@code initiator_hello} (else a {@code responder_hello}) is
     *     expected
     */
    static HelloMessage parseHello(byte[] bytes, boolean fromInitiator) throws HandshakeException {
        HelloMessage message;
        try {
            message = HelloMessage.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new HandshakeException(ErrorCode.MALFORMED, "undecodable hello");
        }
        boolean expected =
                fromInitiator ? message.hasInitiatorHello() : message.hasResponderHello();
        if (!expected) {
            throw new HandshakeException(
                    ErrorCode.UNEXPECTED_MESSAGE,
                    "expected "
                            + (fromInitiator ? "an initiator" : "a responder")
                            + " hello, got "
                            + message.getBodyCase());
        }
        return message;
    }

    /**
     * Decodes a DER SubjectPublicKeyInfo into an RSA key of accepted size, in its one canonical
     * encoding, so that one key can never have two ids.
     */
    static RSAPublicKey decodeRsaKey(byte[] spki) throws HandshakeException {
        PublicKey key;
        try {
            key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new HandshakeException(ErrorCode.MALFORMED, "undecodable identity key");
        }
        if (!(key instanceof RSAPublicKey)) {
            throw new HandshakeException(ErrorCode.BAD_KEY_SIZE, "identity key is not RSA");
        }
        if (!Arrays.equals(key.getEncoded(), spki)) {
            throw new HandshakeException(
                    ErrorCode.MALFORMED, "non-canonical identity key encoding");
        }
        int bits = RsaPss.keyBits(key);
        if (!RsaKeySizes.isAllowed(bits)) {
            // The upper bound also caps what verifying an attacker's signature costs.
            throw new HandshakeException(
                    ErrorCode.BAD_KEY_SIZE,
                    "identity key of " + bits + " bits (expected: " + RsaKeySizes.describe() + ")");
        }
        return (RSAPublicKey) key;
    }

    /**
     * The established session: derives the application secrets from the complete transcript and
     * wipes the rest. Call once, after both AuthMessages.
     */
    public final Established established() {
        byte[] transcriptHash = transcript.current();
        byte[] master = KeySchedule.masterSecret(handshakeSecret);
        byte[] initiatorTraffic =
                KeySchedule.applicationTrafficSecret(master, true, transcriptHash);
        byte[] responderTraffic =
                KeySchedule.applicationTrafficSecret(master, false, transcriptHash);
        byte[] exporter = KeySchedule.exporterSecret(master, transcriptHash);
        byte[] rekeyRoot = KeySchedule.rekeyRoot(master, transcriptHash);
        byte[] resumption =
                ticketFollows ? KeySchedule.resumptionSecret(master, transcriptHash) : null;
        Secret.wipe(master);
        destroy();
        boolean initiator = role == Role.INITIATOR;
        Established est =
                new Established(
                        role,
                        version,
                        suite,
                        Secret.wrap(initiator ? initiatorTraffic : responderTraffic),
                        Secret.wrap(initiator ? responderTraffic : initiatorTraffic),
                        Secret.wrap(exporter),
                        Secret.wrap(rekeyRoot),
                        peerId,
                        peerKey,
                        peerCertificate,
                        peerListenAddress,
                        ratchetRecords,
                        ratchetBytes,
                        peerMaxFrameLength,
                        transcriptHash,
                        peerNetworkId,
                        credentialScheme != 0);
        est.resumed = resumed;
        est.resumptionSecret = resumption == null ? null : Secret.wrap(resumption);
        return est;
    }

    /** Wipes every secret of the handshake; safe to call more than once. */
    public void destroy() {
        Secret.wipe(handshakeSecret, initiatorHandshakeSecret, responderHandshakeSecret);
        if (ticket != null) {
            ticket.destroy();
        }
        destroyEphemerals();
    }

    abstract void destroyEphemerals();

    /** Checks a hello field that must be exactly {@code length} bytes. */
    static void checkLength(ByteString value, int length, ErrorCode code, String field)
            throws HandshakeException {
        if (value.size() != length) {
            throw new HandshakeException(
                    code, field + " length: " + value.size() + " (expected: " + length + ")");
        }
    }

    /** Validates and records the peer's negotiation parameters. */
    final void negotiateLimits(int peerRecords, long peerBytes, int peerFrame)
            throws HandshakeException {
        if (peerRecords < HandshakeLimits.MIN_RATCHET_RECORDS
                || peerRecords > HandshakeLimits.MAX_RATCHET_RECORDS) {
            throw new HandshakeException(
                    ErrorCode.MALFORMED, "ratchet_interval_records out of range: " + peerRecords);
        }
        if (peerBytes < HandshakeLimits.MIN_RATCHET_BYTES
                || peerBytes > HandshakeLimits.MAX_RATCHET_BYTES) {
            throw new HandshakeException(
                    ErrorCode.MALFORMED, "ratchet_interval_bytes out of range: " + peerBytes);
        }
        if (peerFrame < HandshakeLimits.MIN_FRAME_LENGTH
                || peerFrame > HandshakeLimits.MAX_FRAME_LENGTH) {
            throw new HandshakeException(
                    ErrorCode.MALFORMED, "max_frame_length out of range: " + peerFrame);
        }
        ratchetRecords = Math.min(config.ratchetIntervalRecords(), peerRecords);
        ratchetBytes = Math.min(config.ratchetIntervalBytes(), peerBytes);
        peerMaxFrameLength = peerFrame;
    }

    /**
     * Checks the peer's network id against ours under the configured binding (docs/protocol.md
     * §5.9) and records it.
     */
    final void checkNetwork(ByteString peerNetworkId) throws HandshakeException {
        if (!peerNetworkId.isEmpty() && peerNetworkId.size() != HandshakeLimits.NETWORK_ID_LENGTH) {
            throw new HandshakeException(
                    ErrorCode.MALFORMED, "network_id length: " + peerNetworkId.size());
        }
        byte[] theirs = peerNetworkId.toByteArray();
        byte[] ours = config.networkId();
        boolean accepted =
                Arrays.equals(theirs, ours)
                        || switch (config.networkBinding()) {
                            case STRICT -> false;
                            // An unbound joiner asking a bound responder for its parameters.
                            case ACCEPT_UNBOUND_INITIATORS ->
                                    role == Role.RESPONDER && theirs.length == 0 && ours.length > 0;
                            // The joiner's side: whatever the responder announces, it reports.
                            case DISCOVER -> role == Role.INITIATOR && ours.length == 0;
                        };
        if (!accepted) {
            throw new HandshakeException(ErrorCode.WRONG_NETWORK, "the peer is on another network");
        }
        this.peerNetworkId = theirs;
    }

    /** 32 fresh random bytes. */
    final byte[] newRandom() {
        byte[] r = new byte[HandshakeLimits.RANDOM_LENGTH];
        random.nextBytes(r);
        return r;
    }

    /** The hybrid shared secret: ML-KEM's, then X25519's (as TLS's X25519MLKEM768 orders them). */
    static byte[] combine(byte[] mlkemSecret, byte[] x25519Secret) {
        if (mlkemSecret == null) {
            return x25519Secret.clone();
        }
        byte[] out = new byte[mlkemSecret.length + x25519Secret.length];
        System.arraycopy(mlkemSecret, 0, out, 0, mlkemSecret.length);
        System.arraycopy(x25519Secret, 0, out, mlkemSecret.length, x25519Secret.length);
        return out;
    }
}
