package io.p2pchat.channel;

import com.google.protobuf.ByteString;
import io.p2pchat.crypto.MlKem768;
import io.p2pchat.crypto.Secret;
import io.p2pchat.crypto.X25519;
import io.p2pchat.proto.HelloMessage;
import io.p2pchat.proto.InitiatorHello;
import io.p2pchat.proto.ResponderHello;
import java.security.InvalidKeyException;
import java.security.SecureRandom;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The initiator's side of the three-flight handshake (docs/protocol.md, "Handshake").
 *
 * <pre>
 * Initiator                                   Responder
 * {@link #start()}         HELLO(InitiatorHello) ------>
 *                   &lt;------ HELLO(ResponderHello)        {@link #onResponderHello}
 *                   &lt;------ HANDSHAKE{AuthMessage}      {@link #onResponderAuth}
 * {@link #buildAuth}  HANDSHAKE{AuthMessage} ------>
 * {@link #established()}
 * </pre>
 *
 * Each step throws {@link HandshakeException} with a precise code; after a failure the object must
 * be {@linkplain #destroy() destroyed}.
 */
final class InitiatorHandshake extends HandshakeProtocol {
    private X25519.KeyPair x25519;
    private MlKem768.KeyPair mlkem;
    private byte[] ownRandom;

    public InitiatorHandshake(HandshakeConfig config, SecureRandom random) {
        this(config, random, null);
    }

    /**
     * An initiator that offers {@code ticket} for resumption (docs/protocol.md 5.11), or none when
     * null; takes ownership of the ticket.
     */
    public InitiatorHandshake(
            HandshakeConfig config, SecureRandom random, @Nullable Ticket ticket) {
        super(config, random, Role.INITIATOR);
        this.ticket = ticket;
    }

    /** Flight 1: generates the ephemeral keys and returns the HELLO payload. */
    public byte[] start() {
        ownRandom = newRandom();
        x25519 = X25519.generate(random);
        InitiatorHello.Builder hello =
                InitiatorHello.newBuilder()
                        .addVersions(HandshakeLimits.PROTOCOL_VERSION)
                        .setRandom(ByteString.copyFrom(ownRandom))
                        .setX25519Share(ByteString.copyFrom(x25519.publicKey()))
                        .setListenAddress(config.listenAddress())
                        .setNetworkId(ByteString.copyFrom(config.networkId()))
                        .setRatchetIntervalRecords(config.ratchetIntervalRecords())
                        .setRatchetIntervalBytes(config.ratchetIntervalBytes())
                        .setMaxFrameLength(config.maxFrameLength());
        for (CipherSuite s : config.suites()) {
            hello.addCipherSuites(s.id());
        }
        CredentialKeeper credentials = config.credentials();
        ownCredential = credentials == null ? null : credentials.usable();
        if (ownCredential != null) {
            hello.addCredentialSchemes(DelegatedCredential.SCHEME_ED25519);
        }
        if (config.tickets() != null
                && config.networkBinding() != HandshakeConfig.NetworkBinding.DISCOVER) {
            hello.setResumption(true);
            ticketFollows = true;
            if (ticket != null) {
                hello.setPskIdentity(ByteString.copyFrom(ticket.id()));
            }
        }
        if (config.offersHybrid()) {
            mlkem = MlKem768.generate(random);
            hello.setMlkem768EncapsulationKey(ByteString.copyFrom(mlkem.encapsulationKey()));
        }
        byte[] bytes = HelloMessage.newBuilder().setInitiatorHello(hello).build().toByteArray();
        transcript.add(bytes);
        return bytes;
    }

    /** Flight 2a: checks the responder's hello and derives the handshake secrets. */
    public void onResponderHello(byte[] bytes) throws HandshakeException {
        ResponderHello hello = parseHello(bytes, false).getResponderHello();
        if (hello.getVersion() != HandshakeLimits.PROTOCOL_VERSION) {
            throw new HandshakeException(
                    ErrorCode.UNSUPPORTED_VERSION,
                    "responder chose version " + hello.getVersion() + ", which was not offered");
        }
        CipherSuite chosen = CipherSuite.fromId(hello.getCipherSuite());
        if (chosen == null || !config.suites().contains(chosen)) {
            throw new HandshakeException(
                    ErrorCode.NO_COMMON_SUITE,
                    "responder chose suite 0x"
                            + Integer.toHexString(hello.getCipherSuite())
                            + ", which was not offered");
        }
        checkLength(
                hello.getRandom(), HandshakeLimits.RANDOM_LENGTH, ErrorCode.MALFORMED, "random");
        checkLength(
                hello.getX25519Share(), X25519.KEY_LENGTH, ErrorCode.BAD_KEY_SHARE, "x25519_share");
        if (hello.getRandom().equals(ByteString.copyFrom(ownRandom))
                || hello.getX25519Share().equals(ByteString.copyFrom(x25519.publicKey()))) {
            throw new HandshakeException(
                    ErrorCode.REFLECTION_DETECTED, "the peer echoed our hello");
        }
        checkNetwork(hello.getNetworkId());
        int scheme = hello.getCredentialScheme();
        if (scheme != 0
                && (ownCredential == null || scheme != DelegatedCredential.SCHEME_ED25519)) {
            throw new HandshakeException(
                    ErrorCode.UNEXPECTED_MESSAGE,
                    "responder chose credential scheme " + scheme + ", which was not offered");
        }
        credentialScheme = scheme;
        if (hello.getPskAccepted()) {
            checkResumption(chosen, hello);
        }
        negotiateLimits(
                hello.getRatchetIntervalRecords(),
                hello.getRatchetIntervalBytes(),
                hello.getMaxFrameLength());
        byte[] kemSecret = null;
        byte[] dh = null;
        try {
            if (chosen.isHybrid()) {
                checkLength(
                        hello.getMlkem768Ciphertext(),
                        MlKem768.CIPHERTEXT_LENGTH,
                        ErrorCode.BAD_KEY_SHARE,
                        "mlkem768_ciphertext");
                kemSecret = mlkem.decapsulate(hello.getMlkem768Ciphertext().toByteArray());
            } else if (!hello.getMlkem768Ciphertext().isEmpty()) {
                throw new HandshakeException(
                        ErrorCode.MALFORMED, "ML-KEM ciphertext with a classical suite");
            }
            dh = x25519.agree(hello.getX25519Share().toByteArray());
        } catch (InvalidKeyException e) {
            throw HandshakeException.authenticationFailed(ErrorCode.BAD_KEY_SHARE);
        }
        byte[] shared = combine(kemSecret, dh);
        Secret.wipe(kemSecret, dh);
        destroyEphemerals();
        suite = chosen;
        version = hello.getVersion();
        transcript.add(bytes);
        deriveHandshakeSecrets(shared);
        Secret.wipe(shared);
    }

    /**
     * The responder resumes: only with the ticket offered, its suite and its network, and without a
     * delegated credential (docs/protocol.md 5.11).
     */
    private void checkResumption(CipherSuite chosen, ResponderHello hello)
            throws HandshakeException {
        if (ticket == null || credentialScheme != 0) {
            throw new HandshakeException(
                    ErrorCode.UNEXPECTED_MESSAGE,
                    "responder accepted a ticket that was not offered");
        }
        if (chosen != ticket.suite()) {
            throw new HandshakeException(
                    ErrorCode.UNEXPECTED_MESSAGE, "responder resumed with another suite");
        }
        if (!Arrays.equals(hello.getNetworkId().toByteArray(), ticket.networkId())) {
            throw new HandshakeException(
                    ErrorCode.WRONG_NETWORK, "responder resumed on another network");
        }
        resumed = true;
    }

    /** Flight 2b: checks the responder's decrypted AuthMessage. */
    public void onResponderAuth(byte[] authPlaintext) throws HandshakeException {
        verifyPeerAuth(authPlaintext);
    }

    @Override
    void destroyEphemerals() {
        if (x25519 != null) {
            x25519.destroy();
        }
        if (mlkem != null) {
            mlkem.destroy();
        }
    }
}
