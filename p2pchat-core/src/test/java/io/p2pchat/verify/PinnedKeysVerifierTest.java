package io.p2pchat.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.PeerCredentials;
import io.p2pchat.channel.PeerVerificationException;
import io.p2pchat.channel.Role;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.testing.TestIdentities;
import java.net.InetSocketAddress;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PinnedKeysVerifierTest {
    private final LocalIdentity alice = TestIdentities.get("alice");
    private final LocalIdentity bob = TestIdentities.get("bob");
    private final LocalIdentity mallory = TestIdentities.get("mallory");

    private static PeerCredentials credentials(LocalIdentity peer) {
        return new PeerCredentials(
                peer.peerId(),
                peer.publicKey(),
                new byte[0],
                Optional.of(new InetSocketAddress("127.0.0.1", 7000)),
                Optional.empty(),
                Role.RESPONDER);
    }

    /** A peer pinned by id is accepted. */
    @Test
    void verify_pinnedById_accepts() {
        PinnedKeysVerifier verifier = PinnedKeysVerifier.of(alice.peerId(), bob.peerId());

        assertThatCode(() -> verifier.verify(credentials(bob))).doesNotThrowAnyException();
    }

    /** A peer pinned by public key is accepted. */
    @Test
    void verify_pinnedByKey_accepts() {
        PinnedKeysVerifier verifier =
                PinnedKeysVerifier.builder().pin("bob", bob.publicKey()).build();

        assertThatCode(() -> verifier.verify(credentials(bob))).doesNotThrowAnyException();
        assertThat(verifier.nameOf(bob.peerId())).contains("bob");
    }

    /** A peer that is not pinned is refused with UNKNOWN_IDENTITY, naming its short id. */
    @Test
    void verify_notPinned_throwsUnknownIdentityWithShortId() {
        PinnedKeysVerifier verifier =
                PinnedKeysVerifier.builder()
                        .pin("alice", alice.peerId())
                        .pin(bob.publicKey())
                        .build();

        assertThatThrownBy(() -> verifier.verify(credentials(mallory)))
                .isInstanceOfSatisfying(
                        PeerVerificationException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.UNKNOWN_IDENTITY))
                .hasMessageContaining(mallory.peerId().shortId())
                .hasMessageContaining("not among the 2 pinned");
    }

    /** Credentials whose id is not the hash of their key are refused, even for a pinned id. */
    @Test
    void verify_idNotHashOfKey_throwsIdKeyMismatch() {
        PinnedKeysVerifier verifier = PinnedKeysVerifier.of(alice.peerId());
        PeerCredentials forged =
                new PeerCredentials(
                        alice.peerId(),
                        mallory.publicKey(),
                        new byte[0],
                        Optional.empty(),
                        Optional.empty(),
                        Role.INITIATOR);

        assertThatThrownBy(() -> verifier.verify(forged))
                .isInstanceOfSatisfying(
                        PeerVerificationException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(ErrorCode.ID_KEY_MISMATCH));
    }

    /** A verifier with no pins would refuse everyone and is refused itself. */
    @Test
    void build_nothingPinned_throwsIllegalArgument() {
        assertThatThrownBy(() -> PinnedKeysVerifier.of(List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected: at least 1");
    }

    /** One identity cannot carry two names. */
    @Test
    void pin_sameIdUnderTwoNames_throwsIllegalArgument() {
        PinnedKeysVerifier.Builder builder = PinnedKeysVerifier.builder().pin("bob", bob.peerId());

        assertThatThrownBy(() -> builder.pin("robert", bob.publicKey()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already pinned as \"bob\"");
    }

    /** Keys below 2048 bits cannot be pinned. */
    @Test
    void pin_keyTooSmall_throwsIllegalArgumentWithSize() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(1024);
        RSAPublicKey small = (RSAPublicKey) generator.generateKeyPair().getPublic();

        assertThatThrownBy(() -> PinnedKeysVerifier.builder().pin(small))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1024 bits")
                .hasMessageContaining("2048, 3072 or 4096");
    }

    /** Names must be printable and short. */
    @Test
    void pin_nameWithControlCharacter_throwsIllegalArgument() {
        assertThatThrownBy(() -> PinnedKeysVerifier.builder().pin("bo\nb", bob.peerId()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bo?b");
        assertThatThrownBy(() -> PinnedKeysVerifier.builder().pin("", bob.peerId()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name length: 0 (expected: 1..64)");
        assertThatThrownBy(() -> PinnedKeysVerifier.builder().pin("x".repeat(65), bob.peerId()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("name length: 65 (expected: 1..64)");
    }

    /** The pinned ids are reported in pin order; unnamed pins have no name. */
    @Test
    void pinnedIds_afterBuild_inPinOrderWithNames() {
        PinnedKeysVerifier verifier =
                PinnedKeysVerifier.builder().pin(bob.peerId()).pin("alice", alice.peerId()).build();

        assertThat(verifier.pinnedIds()).containsExactly(bob.peerId(), alice.peerId());
        assertThat(verifier.nameOf(bob.peerId())).isEmpty();
        assertThat(verifier.nameOf(mallory.peerId())).isEmpty();
        assertThat(verifier.toString()).isEqualTo("PinnedKeysVerifier[2 pinned]");
    }
}
