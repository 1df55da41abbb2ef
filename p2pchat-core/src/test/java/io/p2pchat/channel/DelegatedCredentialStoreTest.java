package io.p2pchat.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.testing.EmbeddedPair;
import io.p2pchat.testing.SettableClock;
import io.p2pchat.testing.TestIdentities;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SecureChannelContext.Builder#delegatedCredentialStore}: a context takes the stored
 * credential while it is good for its identity and network (no RSA signature at build), signs and
 * saves a new one otherwise, saves each renewal, and works on when the store fails.
 */
class DelegatedCredentialStoreTest {
    /** Where the tests' clocks start: 2026-12-07T00:00:00Z. */
    private static final long START_MS =
            java.time.Instant.parse("2026-12-07T00:00:00Z").toEpochMilli();

    private static final LocalIdentity ALICE = TestIdentities.get("alice");
    private static final LocalIdentity BOB = TestIdentities.get("bob");
    private static final byte[] NETWORK_A = filled(0x0a);
    private static final byte[] NETWORK_B = filled(0x0b);

    /** A store in memory that counts what it is asked. */
    static final class MemoryStore implements DelegatedCredentialStore {
        byte[] state;
        int saves;
        boolean failing;

        @Override
        public synchronized byte[] load() throws IOException {
            if (failing) {
                throw new IOException("disk on fire");
            }
            return state == null ? null : state.clone();
        }

        @Override
        public synchronized void save(byte[] state) throws IOException {
            if (failing) {
                throw new IOException("disk on fire");
            }
            this.state = state.clone();
            saves++;
        }
    }

    private static byte[] filled(int b) {
        byte[] a = new byte[32];
        Arrays.fill(a, (byte) b);
        return a;
    }

    private static SecureChannelContext.Builder context(
            LocalIdentity id, DelegatedCredentialStore store, SettableClock c) {
        return EmbeddedPair.context(id)
                .networkId(NETWORK_A)
                .clock(c)
                .delegatedCredentialStore(store);
    }

    private static byte[] credentialOf(SecureChannelContext context) {
        return context.settings().handshake().credentials().currentForTesting().encoded();
    }

    /**
     * Runs a handshake against Bob (credentials on, same clock) and returns whether it used
     * credentials.
     */
    private static boolean handshakeUsesCredential(SecureChannelContext alice) throws Exception {
        SecureChannelContext bob =
                EmbeddedPair.context(BOB)
                        .networkId(NETWORK_A)
                        .clock(alice.settings().handshake().credentials().clock())
                        .build();
        try (EmbeddedPair pair = new EmbeddedPair(alice, bob)) {
            SecureSession session = pair.handshake().orElseThrow();
            return session.delegatedCredentials()
                    && pair.responderFuture.getNow().delegatedCredentials();
        }
    }

    @Test
    void secondBuild_usesTheStoredCredential_andItAuthenticates() throws Exception {
        SettableClock clock = new SettableClock(START_MS);
        MemoryStore store = new MemoryStore();
        SecureChannelContext first = context(ALICE, store, clock).build();
        assertThat(store.saves).isEqualTo(1);
        byte[] stored = store.state.clone();

        clock.advance(Duration.ofHours(12).toMillis()); // half of 24 h left: still good
        SecureChannelContext second = context(ALICE, store, clock).build();
        assertThat(credentialOf(second)).isEqualTo(credentialOf(first));
        assertThat(store.saves).isEqualTo(1);
        assertThat(store.state).isEqualTo(stored);
        // The loaded private key signs handshakes that a peer accepts.
        assertThat(handshakeUsesCredential(second)).isTrue();
    }

    /** What a stored state can be that must not be used: each is replaced by a new credential. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "other identity",
                "other network",
                "less than a quarter left",
                "expired",
                "longer than the configured validity",
                "not begun",
                "wrong state version",
                "seed of another key",
                "bad RSA signature",
                "truncated",
                "empty"
            })
    void unusableStoredState_isReplacedByANewCredential(String kind) throws Exception {
        SettableClock clock = new SettableClock(START_MS);
        MemoryStore store = new MemoryStore();
        UnaryOperator<byte[]> change = s -> s;
        LocalIdentity writer = ALICE;
        byte[] network = NETWORK_A;
        Duration validity = Duration.ofHours(24);
        Duration later = Duration.ZERO;
        switch (kind) {
            case "other identity" -> writer = BOB;
            case "other network" -> network = NETWORK_B;
            case "less than a quarter left" -> later = Duration.ofHours(19);
            case "expired" -> later = Duration.ofHours(25);
            case "longer than the configured validity" -> validity = Duration.ofHours(48);
            case "not begun" -> later = Duration.ofMinutes(-2);
            case "wrong state version" -> change = s -> flip(s, 0);
            case "seed of another key" -> change = s -> flip(s, 1);
            case "bad RSA signature" -> change = s -> flip(s, s.length - 1);
            case "truncated" -> change = s -> Arrays.copyOf(s, 100);
            case "empty" -> change = s -> new byte[0];
            default -> throw new AssertionError(kind);
        }
        SecureChannelContext old =
                EmbeddedPair.context(writer)
                        .networkId(network)
                        .clock(clock)
                        .delegatedCredentialValidity(validity)
                        .delegatedCredentialStore(store)
                        .build();
        store.state = change.apply(store.state);
        clock.advance(later.toMillis());

        SecureChannelContext alice = context(ALICE, store, clock).build();
        byte[] own = credentialOf(alice);
        assertThat(own).isNotEqualTo(credentialOf(old));
        DelegatedCredential c = DelegatedCredential.decode(own, 1);
        assertThat(c.notBeforeMillis()).isEqualTo(clock.millis());
        assertThat(store.saves).isEqualTo(2);
        // The new one is what is stored now, and it is taken at the next build.
        assertThat(credentialOf(context(ALICE, store, clock).build())).isEqualTo(own);
        assertThat(handshakeUsesCredential(alice)).isTrue();
    }

    private static byte[] flip(byte[] s, int index) {
        byte[] copy = s.clone();
        copy[index] ^= 0x01;
        return copy;
    }

    @Test
    void renewal_isSaved() throws Exception {
        SettableClock clock = new SettableClock(START_MS);
        MemoryStore store = new MemoryStore();
        SecureChannelContext alice = context(ALICE, store, clock).build();
        byte[] first = store.state.clone();
        clock.advance(Duration.ofHours(19).toMillis()); // 5 h of 24 left: renew (inline here)
        assertThat(alice.settings().handshake().credentials().usable()).isNotNull();
        assertThat(store.saves).isEqualTo(2);
        assertThat(store.state).isNotEqualTo(first);
        assertThat(credentialOf(context(ALICE, store, clock).build()))
                .isEqualTo(credentialOf(alice));
    }

    @Test
    void failingStore_contextStillBuildsAndAuthenticatesWithACredential() throws Exception {
        MemoryStore store = new MemoryStore();
        store.failing = true;
        SecureChannelContext alice = context(ALICE, store, new SettableClock(START_MS)).build();
        assertThat(store.saves).isZero();
        assertThat(handshakeUsesCredential(alice)).isTrue();
    }

    @Test
    void stateAndOwn_printNoKey() {
        MemoryStore store = new MemoryStore();
        SecureChannelContext alice = context(ALICE, store, new SettableClock(START_MS)).build();
        CredentialKeeper.Own own = alice.settings().handshake().credentials().currentForTesting();
        String hexSeed = java.util.HexFormat.of().formatHex(Arrays.copyOfRange(store.state, 1, 33));
        assertThat(own.toString()).doesNotContain(hexSeed);
        assertThat(own.key().toString()).isEqualTo("Ed25519.KeyPair[public only]");
    }
}
