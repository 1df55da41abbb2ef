package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.crypto.WycheproofVectors.Group;
import io.p2pchat.crypto.WycheproofVectors.SkipRule;
import io.p2pchat.crypto.WycheproofVectors.Tally;
import io.p2pchat.crypto.WycheproofVectors.Vector;
import io.p2pchat.crypto.WycheproofVectors.VectorFile;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ATTACKS.md C-02: Wycheproof RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32) through {@link
 * RsaPss#verify}, for 2048-, 3072- and 4096-bit keys. Exactly the valid signatures verify; every
 * invalid one, including {@code WrongPrimitive} (a PKCS#1 v1.5 signature), does not.
 *
 * <p>Keys are imported as p2pchat imports identity keys ({@code HandshakeProtocol.decodeRsaKey}):
 * {@code KeyFactory.getInstance("RSA")} over the DER SubjectPublicKeyInfo.
 *
 * <p><b>The {@code _params} files.</b> Their keys are {@code id-RSASSA-PSS} SubjectPublicKeyInfos
 * that carry the PSS parameters. Decision: p2pchat does not accept such keys. An identity key is an
 * {@code rsaEncryption} key and the verifier pins the parameters itself, so a second key encoding
 * would only give one key two ids. The import refuses them, and no signature over them, valid or
 * not, ever reaches the verifier. Every vector of those files is therefore skipped under {@link
 * #PSS_PARAMS_KEY}, and the rule is checked on each: the import must throw, although the key is a
 * well-formed PSS key (the JDK's {@code RSASSA-PSS} key factory takes it).
 */
class WycheproofRsaPssTest {
    static final SkipRule PSS_PARAMS_KEY =
            new SkipRule(
                    "ID_RSASSA_PSS_KEY_REFUSED",
                    "p2pchat imports identity keys with KeyFactory(\"RSA\"), which refuses an"
                            + " id-RSASSA-PSS SubjectPublicKeyInfo; the signature is never"
                            + " verified");

    @ParameterizedTest
    @ValueSource(
            strings = {
                "rsa_pss_2048_sha256_mgf1_32_test.json",
                "rsa_pss_3072_sha256_mgf1_32_test.json",
                "rsa_pss_4096_sha256_mgf1_32_test.json"
            })
    void verify_wycheproofPssVectors_acceptsExactlyTheValidSignatures(String fileName) {
        VectorFile file = WycheproofVectors.load(fileName);
        Tally tally = file.tally();
        for (Vector v : file.vectors()) {
            tally.run(v, () -> checkPss(v));
        }
        tally.assertComplete(108, Map.of());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "rsa_pss_2048_sha256_mgf1_32_params_test.json",
                "rsa_pss_3072_sha256_mgf1_32_params_test.json"
            })
    void identityKeyImport_idRsassaPssKeys_refusedSoNoVectorReachesVerify(String fileName) {
        VectorFile file = WycheproofVectors.load(fileName);
        Tally tally = file.tally();
        for (Vector v : file.vectors()) {
            byte[] spki = v.group().hex("publicKeyDer");
            tally.skip(
                    v,
                    PSS_PARAMS_KEY,
                    () -> {
                        assertThat(KeyFactory.getInstance("RSASSA-PSS").generatePublic(spec(spki)))
                                .as("well-formed id-RSASSA-PSS key")
                                .isNotNull();
                        assertThatThrownBy(() -> importIdentityKey(spki))
                                .isInstanceOf(InvalidKeySpecException.class);
                    });
        }
        tally.assertComplete(0, Map.of(PSS_PARAMS_KEY, 108));
    }

    private static void checkPss(Vector v) throws GeneralSecurityException {
        Group g = v.group();
        assertThat(g.string("sha")).as("sha").isEqualTo("SHA-256");
        assertThat(g.string("mgf")).as("mgf").isEqualTo("MGF1");
        assertThat(g.string("mgfSha")).as("mgfSha").isEqualTo("SHA-256");
        assertThat(g.integer("sLen")).as("sLen").isEqualTo(RsaPss.SALT_LENGTH);
        PublicKey key = importIdentityKey(g.hex("publicKeyDer"));
        assertThat(RsaPss.keyBits(key)).as("key bits").isEqualTo(g.integer("keySize"));
        boolean verified = RsaPss.verify(key, v.hex("msg"), v.hex("sig"));
        switch (v.result()) {
            case VALID:
                assertThat(verified).as("valid signature verifies").isTrue();
                break;
            case INVALID:
                assertThat(verified).as("invalid signature verifies").isFalse();
                break;
            default:
                throw new AssertionError("no policy for result " + v.result());
        }
    }

    /** The import of {@code HandshakeProtocol.decodeRsaKey}. */
    static PublicKey importIdentityKey(byte[] spki) throws GeneralSecurityException {
        return KeyFactory.getInstance("RSA").generatePublic(spec(spki));
    }

    private static X509EncodedKeySpec spec(byte[] spki) {
        return new X509EncodedKeySpec(spki);
    }
}
