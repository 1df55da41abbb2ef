package io.p2pchat.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.identity.IdentityStoreException.Reason;
import io.p2pchat.ledger.chain.RsaKeys;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.testing.EmbeddedPair;
import io.p2pchat.testing.ShapedRsaKeys;
import io.p2pchat.testing.TestIdentities;
import io.p2pchat.verify.PinnedKeysVerifier;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One set of RSA key sizes, 2048, 3072 and 4096 bits, for every part that handles identity keys
 * (issue 10, item 8): each accepts exactly these and refuses 1024, 8192 and sizes in between. The
 * handshake's refusal on the wire is {@code adversarial.HandshakeAttacks} ("public key RSA-...").
 */
class RsaKeySizesTest {
    private static final IdentityStore FAST = IdentityStore.builder().scryptLog2N(10).build();
    private static final char[] PASSPHRASE = "correct horse battery staple".toCharArray();

    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(ints = {1024, 3000, 8192})
    void generate_sizeOutsideTheSet_isRefusedBeforeAnyWork(int bits) {
        assertThatThrownBy(() -> LocalIdentity.generate(bits, new SecureRandom()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(bits + " bits")
                .hasMessageContaining("2048, 3072 or 4096");
    }

    @ParameterizedTest
    @ValueSource(ints = {1024, 3000, 8192})
    void identityOfKeyPair_sizeOutsideTheSet_isRefused(int bits) {
        assertThatThrownBy(() -> LocalIdentity.of(ShapedRsaKeys.ofBits(bits)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(bits + " bits");
    }

    @ParameterizedTest
    @ValueSource(ints = {2048, 3072, 4096})
    void identityOfKeyPair_allowedSize_isAccepted(int bits) {
        assertThat(LocalIdentity.of(ShapedRsaKeys.ofBits(bits)).keyBits()).isEqualTo(bits);
    }

    @ParameterizedTest
    @ValueSource(ints = {2048, 3072, 4096})
    void store_allowedSize_loads(int bits) throws Exception {
        LocalIdentity id = TestIdentities.get("sizes", bits);
        Path file = dir.resolve("identity.pem");
        FAST.save(id, file, PASSPHRASE.clone());

        assertThat(FAST.load(file, PASSPHRASE.clone()).peerId()).isEqualTo(id.peerId());
    }

    /**
     * Only a key saved by hand (or by a library call with another size) can have another size; the
     * store used to load one up to 8192 bits, which no peer then accepted.
     */
    @ParameterizedTest
    @ValueSource(ints = {3000, 8192})
    void store_keyOfAnotherSize_isRefusedWithTheReason(int bits) throws Exception {
        Path file = dir.resolve("identity.pem");
        saveShaped(bits, file);

        assertThatThrownBy(() -> FAST.load(file, PASSPHRASE.clone()))
                .isInstanceOfSatisfying(
                        IdentityStoreException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED))
                .hasMessageContaining(bits + "-bit RSA key, which no p2pchat peer accepts")
                .hasMessageContaining("2048, 3072 or 4096")
                .hasMessageContaining("generate a new identity");
    }

    @ParameterizedTest
    @ValueSource(ints = {1024, 2047})
    void store_keyBelowTheSmallestSize_isKeyTooSmall(int bits) throws Exception {
        Path file = dir.resolve("identity.pem");
        saveShaped(bits, file);

        assertThatThrownBy(() -> FAST.load(file, PASSPHRASE.clone()))
                .isInstanceOfSatisfying(
                        IdentityStoreException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.KEY_TOO_SMALL));
    }

    @ParameterizedTest
    @ValueSource(ints = {2048, 3072, 4096})
    void handshake_allowedSizeOnEitherSide_completes(int bits) {
        LocalIdentity big = TestIdentities.get("sizes", bits);
        LocalIdentity other = TestIdentities.get("sizes-peer");
        try (EmbeddedPair asInitiator =
                        new EmbeddedPair(
                                EmbeddedPair.context(big).build(),
                                EmbeddedPair.context(other).build());
                EmbeddedPair asResponder =
                        new EmbeddedPair(
                                EmbeddedPair.context(other).build(),
                                EmbeddedPair.context(big).build())) {
            assertThat(asInitiator.handshake()).isPresent();
            assertThat(asResponder.handshake()).isPresent();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1024, 3000, 8192})
    void pin_sizeOutsideTheSet_isRefused(int bits) {
        RSAPublicKey key = (RSAPublicKey) ShapedRsaKeys.ofBits(bits).getPublic();
        assertThatThrownBy(() -> PinnedKeysVerifier.builder().pin(key))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(bits + " bits");
    }

    @ParameterizedTest
    @ValueSource(ints = {2048, 3072, 4096})
    void pin_allowedSize_isAccepted(int bits) {
        RSAPublicKey key = (RSAPublicKey) ShapedRsaKeys.ofBits(bits).getPublic();
        assertThat(PinnedKeysVerifier.builder().pin(key).build()).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(ints = {1024, 3000, 8192})
    void ledgerKeyRule_sizeOutsideTheSet_isBadKeySize(int bits) {
        assertThatThrownBy(() -> RsaKeys.parse(ShapedRsaKeys.spki(bits)))
                .isInstanceOfSatisfying(
                        InvalidBlockException.class,
                        e -> assertThat(e.reason()).isEqualTo(RejectReason.BAD_KEY_SIZE));
    }

    @ParameterizedTest
    @ValueSource(ints = {2048, 3072, 4096})
    void ledgerKeyRule_allowedSize_isAccepted(int bits) throws Exception {
        assertThat(RsaKeys.parse(ShapedRsaKeys.spki(bits)).getModulus().bitLength())
                .isEqualTo(bits);
    }

    private static void saveShaped(int bits, Path file) throws Exception {
        KeyPair pair = ShapedRsaKeys.ofBits(bits);
        FAST.saveKeys(
                (RSAPrivateKey) pair.getPrivate(),
                (RSAPublicKey) pair.getPublic(),
                null,
                file,
                PASSPHRASE.clone());
    }
}
