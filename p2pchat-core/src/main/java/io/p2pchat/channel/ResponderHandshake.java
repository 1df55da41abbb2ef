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
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The responder's side of the three-flight handshake (docs/protocol.md, "Handshake").
 *
 * <pre>
 * Initiator                                   Responder
 *           HELLO(InitiatorHello) ------>  {@link #onInitiatorHello}: checks, picks, derives
 *                   &lt;------ HELLO(ResponderHello)        {@link #responderHello()}
 *                   &lt;------ HANDSHAKE{AuthMessage}      {@link #buildAuth}
 *           HANDSHAKE{AuthMessage} ------>  {@link #onInitiatorAuth}
 *                                           {@link #established()}
 * </pre>
 *
 * <p>{@link #onInitiatorHello} does only cheap checks before any public-key operation; the
 * expensive steps ({@link #agree}, {@link #buildAuth}) follow separately so that a caller can run
 * them off the event loop.
 */
final class ResponderHandshake extends HandshakeProtocol {
    private InitiatorHello initiatorHello;
    private byte[] initiatorHelloBytes;
    private byte[] responderHelloBytes;
    private X25519.KeyPair x25519;

    public ResponderHandshake(HandshakeConfig config, SecureRandom random) {
        super(config, random, Role.RESPONDER);
    }

    /** Flight 1, cheap part: parses and checks the initiator's hello and picks the suite. */
    public void onInitiatorHello(byte[] bytes) throws HandshakeException {
        InitiatorHello hello = parseHello(bytes, true).getInitiatorHello();
        if (hello.getVersionsCount() > HandshakeLimits.MAX_VERSIONS
                || hello.getCipherSuitesCount() > HandshakeLimits.MAX_SUITES
                || hello.getCredentialSchemesCount() > HandshakeLimits.MAX_VERSIONS) {
            throw new HandshakeException(
                    ErrorCode.MALFORMED, "too many versions, suites or credential schemes");
        }
        if (!hello.getVersionsList().contains(HandshakeLimits.PROTOCOL_VERSION)) {
            throw new HandshakeException(
                    ErrorCode.UNSUPPORTED_VERSION,
                    "no common protocol version in " + hello.getVersionsList());
        }
        checkLength(
                hello.getRandom(), HandshakeLimits.RANDOM_LENGTH, ErrorCode.MALFORMED, "random");
        if (hello.getListenAddress().length() > HandshakeLimits.MAX_LISTEN_ADDRESS) {
            throw new HandshakeException(ErrorCode.MALFORMED, "listen_address too long");
        }
        checkNetwork(hello.getNetworkId());
        negotiateLimits(
                hello.getRatchetIntervalRecords(),
                hello.getRatchetIntervalBytes(),
                hello.getMaxFrameLength());
        suite = select(hello.getCipherSuitesList());
        checkLength(
                hello.getX25519Share(), X25519.KEY_LENGTH, ErrorCode.BAD_KEY_SHARE, "x25519_share");
        int ekLength = hello.getMlkem768EncapsulationKey().size();
        if (suite.isHybrid() || ekLength != 0) {
            checkLength(
                    hello.getMlkem768EncapsulationKey(),
                    MlKem768.ENCAPSULATION_KEY_LENGTH,
                    ErrorCode.BAD_KEY_SHARE,
                    "mlkem768_encapsulation_key");
        }
        lookUpTicket(hello);
        if (!resumed) {
            selectCredential(hello.getCredentialSchemesList());
        }
        version = HandshakeLimits.PROTOCOL_VERSION;
        peerListenAddress =
                hello.getListenAddress().isEmpty()
                        ? Optional.empty()
                        : Optional.of(hello.getListenAddress());
        initiatorHello = hello;
        initiatorHelloBytes = bytes;
    }

    /**
     * Redeems the initiator's ticket, if it offers one this side issued and it fits this handshake
     * (docs/protocol.md 5.11): same suite, same network. Any ticket found leaves the cache here,
     * whatever follows, so a replayed hello finds nothing and costs a full handshake.
     */
    private void lookUpTicket(InitiatorHello hello) throws HandshakeException {
        int idLength = hello.getPskIdentity().size();
        if (idLength != 0 && idLength != ResumptionTickets.ID_LENGTH) {
            throw new HandshakeException(ErrorCode.MALFORMED, "psk_identity length: " + idLength);
        }
        ResumptionTickets tickets = config.tickets();
        // Tickets only within one network, or between peers that both bind none: never for an
        // unbound joiner served by a bound responder.
        if (tickets == null || !Arrays.equals(peerNetworkId, config.networkId())) {
            return;
        }
        ticketFollows = hello.getResumption();
        if (idLength == 0) {
            return;
        }
        Ticket found = tickets.redeem(hello.getPskIdentity().toByteArray());
        if (found == null) {
            return;
        }
        if (found.suite() == suite && Arrays.equals(found.networkId(), peerNetworkId)) {
            ticket = found;
            resumed = true;
        } else {
            found.destroy();
        }
    }

    /**
     * Uses a delegated credential iff the initiator offered Ed25519 and this side has a credential
     * valid now (docs/protocol.md 5.10); otherwise both sides sign with RSA.
     */
    private void selectCredential(List<Integer> offered) {
        CredentialKeeper credentials = config.credentials();
        if (credentials != null && offered.contains(DelegatedCredential.SCHEME_ED25519)) {
            ownCredential = credentials.usable();
            credentialScheme = ownCredential != null ? DelegatedCredential.SCHEME_ED25519 : 0;
        }
    }

    private CipherSuite select(List<Integer> offeredIds) throws HandshakeException {
        Set<CipherSuite> offered = new HashSet<>();
        for (int id : offeredIds) {
            CipherSuite s = CipherSuite.fromId(id);
            if (s != null) {
                offered.add(s);
            }
        }
        for (CipherSuite s : config.suites()) {
            if (offered.contains(s)) {
                return s;
            }
        }
        if (config.requirePostQuantum() && offered.stream().noneMatch(CipherSuite::isHybrid)) {
            throw new HandshakeException(
                    ErrorCode.POLICY_PQ_REQUIRED, "the peer offers no post-quantum suite");
        }
        if (config.requireAes256() && offered.stream().noneMatch(CipherSuite::isAes256)) {
            throw new HandshakeException(
                    ErrorCode.POLICY_AES256_REQUIRED, "the peer offers no AES-256-GCM suite");
        }
        throw new HandshakeException(ErrorCode.NO_COMMON_SUITE, "no cipher suite in common");
    }

    /**
     * Flight 1, expensive part: generates the ephemeral share, agrees, encapsulates, builds the
     * responder hello and derives the handshake secrets.
     */
    public void agree() throws HandshakeException {
        byte[] ownRandom = newRandom();
        x25519 = X25519.generate(random);
        byte[] dh = null;
        byte[] kemSecret = null;
        byte[] ciphertext = new byte[0];
        try {
            dh = x25519.agree(initiatorHello.getX25519Share().toByteArray());
            if (suite.isHybrid()) {
                MlKem768.Encapsulation enc =
                        MlKem768.encapsulate(
                                initiatorHello.getMlkem768EncapsulationKey().toByteArray(), random);
                kemSecret = enc.sharedSecret();
                ciphertext = enc.ciphertext();
            }
        } catch (InvalidKeyException e) {
            Secret.wipe(dh);
            throw HandshakeException.authenticationFailed(ErrorCode.BAD_KEY_SHARE);
        }
        ResponderHello hello =
                ResponderHello.newBuilder()
                        .setVersion(version)
                        .setCipherSuite(suite.id())
                        .setRandom(ByteString.copyFrom(ownRandom))
                        .setX25519Share(ByteString.copyFrom(x25519.publicKey()))
                        .setMlkem768Ciphertext(ByteString.copyFrom(ciphertext))
                        .setNetworkId(ByteString.copyFrom(config.networkId()))
                        .setRatchetIntervalRecords(config.ratchetIntervalRecords())
                        .setRatchetIntervalBytes(config.ratchetIntervalBytes())
                        .setMaxFrameLength(config.maxFrameLength())
                        .setCredentialScheme(credentialScheme)
                        .setPskAccepted(resumed)
                        .build();
        responderHelloBytes =
                HelloMessage.newBuilder().setResponderHello(hello).build().toByteArray();
        byte[] shared = combine(kemSecret, dh);
        Secret.wipe(kemSecret, dh);
        destroyEphemerals();
        transcript.add(initiatorHelloBytes);
        transcript.add(responderHelloBytes);
        deriveHandshakeSecrets(shared);
        Secret.wipe(shared);
    }

    /** The HELLO payload of flight 2, after {@link #agree}. */
    public byte[] responderHello() {
        return responderHelloBytes;
    }

    /** Flight 3: checks the initiator's decrypted AuthMessage. */
    public void onInitiatorAuth(byte[] authPlaintext) throws HandshakeException {
        verifyPeerAuth(authPlaintext);
    }

    @Override
    void destroyEphemerals() {
        if (x25519 != null) {
            x25519.destroy();
        }
    }
}
