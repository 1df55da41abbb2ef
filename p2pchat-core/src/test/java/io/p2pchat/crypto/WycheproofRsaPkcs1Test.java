package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.crypto.WycheproofVectors.Result;
import io.p2pchat.crypto.WycheproofVectors.Tally;
import io.p2pchat.crypto.WycheproofVectors.Vector;
import io.p2pchat.crypto.WycheproofVectors.VectorFile;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Map;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.engines.RSAEngine;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.signers.PSSSigner;
import org.junit.jupiter.api.Test;

/**
 * ATTACKS.md C-03: Wycheproof RSASSA-PKCS1-v1_5 (3072-bit, SHA-256). p2pchat has no PKCS#1 v1.5
 * verification path, so the test is that {@link RsaPss#verify} accepts none of the v1.5 signatures:
 * not the 8 valid ones, not the {@code acceptable} {@code MissingNull} one (rejecting it is the
 * written policy), and none of the invalid encodings.
 *
 * <p>The one exception is by construction: the three {@code WrongPrimitive} vectors are RSASSA-PSS
 * signatures offered to a v1.5 verifier. Decoded by hand (s^e mod n, then EMSA-PSS), all three use
 * SHA-256 with MGF1-SHA-256, with salts of 0, 20 and 32 bytes ({@link #WRONG_PRIMITIVE_SALT}). tcId
 * 258 therefore is a correct signature under exactly p2pchat's PSS parameters, and our PSS verifier
 * must accept it; the other two must be rejected for their salt length.
 *
 * <p>Controls outside our wrappers make the expectations checkable: each valid signature is a real
 * v1.5 signature to the JDK's {@code SHA256withRSA}, and each {@code WrongPrimitive} signature
 * verifies with Bouncy Castle's {@link PSSSigner} at its listed salt length. So a rejection comes
 * from the primitive, not from a key or message decoded wrongly.
 */
class WycheproofRsaPkcs1Test {
    /** Salt length of each {@code WrongPrimitive} (RSASSA-PSS) signature, by tcId. */
    private static final Map<Integer, Integer> WRONG_PRIMITIVE_SALT =
            Map.of(256, 0, 257, 20, 258, 32);

    @Test
    void pssVerify_pkcs1V15Signatures_rejectsEveryOne() {
        VectorFile file = WycheproofVectors.load("rsa_signature_3072_sha256_test.json");
        Tally tally = file.tally();
        for (Vector v : file.vectors()) {
            tally.run(v, () -> check(v));
        }
        tally.assertComplete(259, Map.of());
        assertThat(file.vectors()).filteredOn(v -> v.result() == Result.VALID).hasSize(8);
        assertThat(file.vectors())
                .filteredOn(v -> v.result() == Result.ACCEPTABLE)
                .singleElement()
                .satisfies(v -> assertThat(v.flags()).containsExactly("MissingNull"));
        assertThat(file.vectors())
                .filteredOn(v -> v.hasFlag("WrongPrimitive"))
                .extracting(Vector::tcId)
                .containsExactlyInAnyOrderElementsOf(WRONG_PRIMITIVE_SALT.keySet());
    }

    private static void check(Vector v) throws Exception {
        assertThat(v.group().string("sha")).as("sha").isEqualTo("SHA-256");
        PublicKey key = WycheproofRsaPssTest.importIdentityKey(v.group().hex("publicKeyDer"));
        byte[] msg = v.hex("msg");
        byte[] sig = v.hex("sig");
        boolean expectAccepted = false;
        if (v.result() == Result.VALID) {
            Signature pkcs1 = Signature.getInstance("SHA256withRSA");
            pkcs1.initVerify(key);
            pkcs1.update(msg);
            assertThat(pkcs1.verify(sig)).as("control: a PKCS#1 v1.5 signature").isTrue();
        }
        if (v.hasFlag("WrongPrimitive")) {
            int salt = WRONG_PRIMITIVE_SALT.get(v.tcId());
            assertThat(bcPssVerify((RSAPublicKey) key, salt, msg, sig))
                    .as("control: an RSASSA-PSS signature with a %d-byte salt", salt)
                    .isTrue();
            expectAccepted = salt == RsaPss.SALT_LENGTH;
        }
        assertThat(RsaPss.verify(key, msg, sig)).as("RsaPss.verify").isEqualTo(expectAccepted);
    }

    private static boolean bcPssVerify(RSAPublicKey key, int saltLength, byte[] msg, byte[] sig) {
        PSSSigner signer =
                new PSSSigner(new RSAEngine(), new SHA256Digest(), new SHA256Digest(), saltLength);
        signer.init(false, new RSAKeyParameters(false, key.getModulus(), key.getPublicExponent()));
        signer.update(msg, 0, msg.length);
        return signer.verifySignature(sig);
    }
}
