package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.crypto.WycheproofVectors.Result;
import io.p2pchat.crypto.WycheproofVectors.Tally;
import io.p2pchat.crypto.WycheproofVectors.Vector;
import io.p2pchat.crypto.WycheproofVectors.VectorFile;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.SecureRandom;
import java.security.interfaces.XECPrivateKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.Test;

/**
 * ATTACKS.md C-04: Wycheproof X25519 through {@link X25519}, raw ({@code x25519_test.json}) and
 * DER-encoded ({@code x25519_asn_test.json}).
 *
 * <p>The written policy ({@link X25519}'s class comment, docs/protocol.md "Key shares"), which
 * every vector must follow, {@code acceptable} ones included:
 *
 * <ul>
 *   <li>a public key is exactly 32 bytes, checked before any arithmetic;
 *   <li>non-canonical u-coordinates, twist points and other small or special keys are accepted and
 *       computed as RFC 7748 §5 prescribes: the shared secret must match;
 *   <li>an all-zero shared secret (a low-order public key) is refused with {@link
 *       InvalidKeyException} (RFC 7748 §6.1), which the handshake turns into a failure.
 * </ul>
 *
 * The DER vectors are decoded in the test with the JDK's {@code KeyFactory("X25519")} (not {@code
 * "XDH"}, which would also take an X448 key, tcId 536), to the raw 32-byte keys the handshake
 * carries, and then go through the same wrapper. {@code InvalidPublic} (another group's key) and
 * {@code MissingOctetString} (a malformed PKCS#8 private key) must fail at decoding.
 */
class WycheproofX25519Test {
    private static final byte[] ALL_ZERO = new byte[X25519.KEY_LENGTH];

    @Test
    void agree_rawWycheproofVectors_followThePolicy() {
        VectorFile file = WycheproofVectors.load("x25519_test.json");
        Tally tally = file.tally();
        for (Vector v : file.vectors()) {
            tally.run(v, () -> checkAgreement(v, v.hex("private"), v.hex("public")));
        }
        tally.assertComplete(518, Map.of());
    }

    @Test
    void agree_derWycheproofVectors_followThePolicyAndRejectBadEncodings() {
        VectorFile file = WycheproofVectors.load("x25519_asn_test.json");
        Tally tally = file.tally();
        for (Vector v : file.vectors()) {
            tally.run(v, () -> checkDer(v));
        }
        tally.assertComplete(537, Map.of());
        assertThat(file.vectors().stream().filter(v -> v.result() == Result.INVALID))
                .extracting(Vector::flags)
                .hasSize(19)
                .allSatisfy(
                        f -> assertThat(f).containsAnyOf("InvalidPublic", "MissingOctetString"));
    }

    @Test
    void wycheproofFiles_allZeroSharedSecrets_areExactlyTheLowOrderCases() {
        for (String name : List.of("x25519_test.json", "x25519_asn_test.json")) {
            VectorFile file = WycheproofVectors.load(name);
            assertThat(
                            file.vectors().stream()
                                    .filter(v -> Arrays.equals(v.hex("shared"), ALL_ZERO)))
                    .as(name)
                    .hasSize(31)
                    .allSatisfy(
                            v ->
                                    assertThat(v.flags())
                                            .containsOnlyOnce("ZeroSharedSecret", "LowOrderPublic"))
                    .allSatisfy(v -> assertThat(v.result()).isEqualTo(Result.ACCEPTABLE));
            assertThat(file.vectors())
                    .as(name)
                    .filteredOn(v -> v.hasFlag("ZeroSharedSecret") || v.hasFlag("LowOrderPublic"))
                    .hasSize(31);
        }
    }

    @Test
    void agree_publicKeyNotExactly32Bytes_rejectedBeforeAnyMath() throws Exception {
        byte[] priv = X25519.generate(new SecureRandom()).privateKeyForTesting();
        byte[] peer = X25519.generate(new SecureRandom()).publicKey();
        // 33 and 64 bytes hold a valid key in their first 32: Bouncy Castle alone would use it.
        for (byte[] bad :
                List.of(
                        new byte[0],
                        Arrays.copyOf(peer, 31),
                        Arrays.copyOf(peer, 33),
                        Arrays.copyOf(peer, 56),
                        Arrays.copyOf(peer, 64))) {
            assertThatThrownBy(() -> X25519.agree(priv, bad))
                    .as("%d-byte public key", bad.length)
                    .isInstanceOf(InvalidKeyException.class)
                    .hasMessageContaining("public key length: " + bad.length);
        }
        assertThatThrownBy(() -> X25519.agree(priv, null))
                .isInstanceOf(InvalidKeyException.class)
                .hasMessageContaining("public key length: null");
        assertThat(X25519.agree(priv, peer)).hasSize(X25519.KEY_LENGTH);
    }

    private static void checkDer(Vector v) throws Exception {
        byte[] spki = v.hex("public");
        byte[] pkcs8 = v.hex("private");
        if (v.result() == Result.INVALID) {
            if (v.hasFlag("InvalidPublic")) {
                assertThatThrownBy(() -> decodePublic(spki))
                        .isInstanceOf(InvalidKeySpecException.class);
                // Even the raw key material of another group never reaches the arithmetic.
                byte[] foreign =
                        SubjectPublicKeyInfo.getInstance(spki).getPublicKeyData().getBytes();
                byte[] priv = decodePrivate(pkcs8);
                assertThatThrownBy(() -> X25519.agree(priv, foreign))
                        .isInstanceOf(InvalidKeyException.class)
                        .hasMessageContaining("length");
            } else if (v.hasFlag("MissingOctetString")) {
                assertThatThrownBy(() -> decodePrivate(pkcs8))
                        .isInstanceOf(InvalidKeySpecException.class);
            } else {
                assertThatThrownBy(() -> X25519.agree(decodePrivate(pkcs8), decodePublic(spki)))
                        .isInstanceOf(GeneralSecurityException.class);
            }
            return;
        }
        checkAgreement(v, decodePrivate(pkcs8), decodePublic(spki));
    }

    /** Both entry points of the wrapper, against the vector's result and the policy. */
    private static void checkAgreement(Vector v, byte[] priv, byte[] pub) throws Exception {
        byte[] shared = v.hex("shared");
        boolean refuse;
        switch (v.result()) {
            case VALID:
                refuse = false;
                break;
            case ACCEPTABLE:
                refuse = Arrays.equals(shared, ALL_ZERO); // the policy's only refusal
                break;
            case INVALID:
                refuse = true;
                break;
            default:
                throw new AssertionError("no policy for result " + v.result());
        }
        if (refuse) {
            assertThatThrownBy(() -> X25519.fromPrivate(priv.clone()).agree(pub))
                    .as("KeyPair.agree")
                    .isInstanceOf(InvalidKeyException.class);
            assertThatThrownBy(() -> X25519.agree(priv, pub))
                    .as("X25519.agree")
                    .isInstanceOf(InvalidKeyException.class);
        } else {
            assertThat(X25519.fromPrivate(priv.clone()).agree(pub))
                    .as("KeyPair.agree")
                    .isEqualTo(shared);
            assertThat(X25519.agree(priv, pub)).as("X25519.agree").isEqualTo(shared);
        }
    }

    /** The raw 32-byte public key (RFC 7748 little-endian u) of a DER SubjectPublicKeyInfo. */
    private static byte[] decodePublic(byte[] spki) throws GeneralSecurityException {
        XECPublicKey key =
                (XECPublicKey)
                        KeyFactory.getInstance("X25519")
                                .generatePublic(new X509EncodedKeySpec(spki));
        assertThat(((NamedParameterSpec) key.getParams()).getName()).isEqualTo("X25519");
        BigInteger u = key.getU();
        assertThat(u.bitLength()).as("u bits").isLessThanOrEqualTo(8 * X25519.KEY_LENGTH);
        byte[] bigEndian = u.toByteArray();
        byte[] raw = new byte[X25519.KEY_LENGTH];
        for (int i = 0; i < raw.length && i < bigEndian.length; i++) {
            raw[i] = bigEndian[bigEndian.length - 1 - i];
        }
        return raw;
    }

    /** The raw 32-byte private scalar of a DER PKCS#8 key. */
    private static byte[] decodePrivate(byte[] pkcs8) throws GeneralSecurityException {
        XECPrivateKey key =
                (XECPrivateKey)
                        KeyFactory.getInstance("X25519")
                                .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        return key.getScalar().orElseThrow();
    }
}
