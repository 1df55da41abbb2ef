package io.p2pchat.channel;

import com.google.protobuf.InvalidProtocolBufferException;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.proto.AuthMessage;
import io.p2pchat.proto.HelloMessage;
import io.p2pchat.proto.PeerIdentity;
import io.p2pchat.testing.TestIdentities;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;

/**
 * Messages and keys of other sessions, for "replay from another session" and wrong-key attacks;
 * built once per JVM from a complete embedded session between Alice and Bob.
 */
final class Material {
    final HelloMessage initiatorHello;
    final HelloMessage responderHello;

    /** Bob's AuthMessage (as responder) and Alice's (as initiator) from that session. */
    final AuthMessage responderAuth;

    final AuthMessage initiatorAuth;
    final byte[] ecSpki;
    final byte[] rsa1024Spki;
    final byte[] nonCanonicalSpki;

    private static Material instance;

    static synchronized Material get() {
        if (instance == null) {
            instance = new Material();
        }
        return instance;
    }

    private Material() {
        try (Arena arena = Arena.embedded();
                Arena.Duel d =
                        arena.evilInitiator(
                                arena.context(Arena.HONEST).build(),
                                arena.context(TestIdentities.get("alice")).build(),
                                Bugs.none())) {
            d.evil.handshake();
            initiatorHello = HelloMessage.parseFrom(d.evil.built.get(Bugs.Msg.INITIATOR_HELLO));
            responderHello = HelloMessage.parseFrom(EvilPeer.payload(d.evil.received.get(0)));
            responderAuth = AuthMessage.parseFrom(d.evil.peerAuth);
            initiatorAuth = AuthMessage.parseFrom(d.evil.built.get(Bugs.Msg.AUTH));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        try {
            KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
            ec.initialize(new ECGenParameterSpec("secp256r1"));
            ecSpki = ec.generateKeyPair().getPublic().getEncoded();
            KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
            rsa.initialize(1024, new SecureRandom());
            rsa1024Spki = rsa.generateKeyPair().getPublic().getEncoded();
        } catch (NoSuchAlgorithmException | java.security.InvalidAlgorithmParameterException e) {
            throw new AssertionError(e);
        }
        nonCanonicalSpki = longFormLength(TestIdentities.get("mallory").subjectPublicKeyInfo());
    }

    /** The same DER with the outer SEQUENCE length in a longer (non-minimal) form. */
    private static byte[] longFormLength(byte[] der) {
        // der = 30 82 hi lo ...: re-encode the length as 30 83 00 hi lo ...
        if ((der[0] & 0xFF) != 0x30 || (der[1] & 0xFF) != 0x82) {
            throw new AssertionError("unexpected SPKI encoding");
        }
        byte[] out = new byte[der.length + 1];
        out[0] = 0x30;
        out[1] = (byte) 0x83;
        out[2] = 0;
        System.arraycopy(der, 2, out, 3, der.length - 2);
        return out;
    }

    /** The PeerIdentity of {@code identity}. */
    static byte[] identityOf(LocalIdentity identity) {
        return PeerIdentity.newBuilder()
                .setPublicKey(
                        com.google.protobuf.ByteString.copyFrom(identity.subjectPublicKeyInfo()))
                .build()
                .toByteArray();
    }

    /** Parses a hello, for tests. */
    static HelloMessage hello(byte[] bytes) {
        try {
            return HelloMessage.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }
}
