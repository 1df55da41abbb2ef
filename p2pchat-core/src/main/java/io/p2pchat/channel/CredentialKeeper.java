package io.p2pchat.channel;

import io.p2pchat.crypto.Ed25519;
import io.p2pchat.crypto.Secret;
import io.p2pchat.identity.LocalIdentity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A context's delegated credentials (docs/protocol.md 5.10): its own, minted with the context and
 * renewed on the crypto executor when less than a quarter of its validity is left, and the bounded
 * cache of peers' credentials whose RSA signature already verified.
 *
 * <p>With a {@link DelegatedCredentialStore}, the first credential is the stored one when it is
 * still good for this identity and network ({@link #fromState}), and every credential minted is
 * saved. The stored state:
 *
 * <pre>
 * state = u8 version = 1 || Ed25519 private seed (32) || credential || u16 len(sig) || sig
 * </pre>
 *
 * <p>Thread-safe: handshakes on any thread read {@link #usable()}; a renewal replaces the
 * credential with one volatile write. Replaced key pairs are not wiped, since a handshake in
 * progress may still sign with them; the garbage collector reclaims them. State arrays are wiped
 * once loaded or saved.
 */
final class CredentialKeeper {
    private static final Logger log = LoggerFactory.getLogger(CredentialKeeper.class);

    /** Default validity of a minted credential. */
    static final Duration DEFAULT_VALIDITY = Duration.ofHours(24);

    /** Peers' credentials remembered as verified. */
    static final int CACHE_ENTRIES = 1024;

    /**
     * A credential is offered only while at least this much of it is left, so that it cannot expire
     * during a handshake (whose timeout is 10 s by default).
     */
    static final Duration MIN_REMAINING = Duration.ofMinutes(1);

    /** The version of the stored state ({@link DelegatedCredentialStore}). */
    static final int STATE_VERSION = 1;

    /** This side's credential and its private key. */
    record Own(DelegatedCredential credential, Ed25519.KeyPair key, byte[] encoded) {
        @Override
        public String toString() {
            return "Own[" + credential + "]";
        }
    }

    private final LocalIdentity identity;
    private final byte[] networkId;
    private final Duration validity;
    private final Clock clock;
    private final SecureRandom random;
    private final Executor executor;
    private final AtomicBoolean renewing = new AtomicBoolean();
    private final boolean fixed;
    private final @Nullable DelegatedCredentialStore store;
    private volatile Own current;

    private final Object cacheLock = new Object();

    /** Digests of credentials whose RSA signature verified; guarded by {@code cacheLock}. */
    private final Map<ByteBuffer, Boolean> verified =
            new LinkedHashMap<>(64, 0.75f, true) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Boolean> eldest) {
                    return size() > CACHE_ENTRIES;
                }
            };

    /**
     * Takes the first credential from {@code store} when it is still good, else mints it on the
     * calling thread (one RSA signature) and saves it there.
     *
     * @param store where credentials are kept between runs, or null: in memory only
     * @throws IllegalStateException if signing fails
     */
    CredentialKeeper(
            LocalIdentity identity,
            byte[] networkId,
            Duration validity,
            Clock clock,
            SecureRandom random,
            Executor executor,
            @Nullable DelegatedCredentialStore store) {
        this.identity = identity;
        this.networkId = networkId.clone();
        this.validity = validity;
        this.clock = clock;
        this.random = random;
        this.executor = executor;
        this.fixed = false;
        this.store = store;
        Own stored = store == null ? null : load(store);
        if (stored != null) {
            this.current = stored;
            log.debug("using the stored delegated credential of {}", identity);
            return;
        }
        try {
            this.current = mint();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("could not sign a delegated credential", e);
        }
        save(current);
    }

    private CredentialKeeper(LocalIdentity identity, Own own, Clock clock) {
        this.identity = identity;
        this.networkId = new byte[0];
        this.validity = DEFAULT_VALIDITY;
        this.clock = clock;
        this.random = new SecureRandom();
        this.executor = Runnable::run;
        this.fixed = true;
        this.store = null;
        this.current = own;
    }

    /**
     * A keeper that always offers {@code own}, valid or not, and never renews it; for tests that
     * play a peer presenting a bad credential.
     */
    static CredentialKeeper fixedForTesting(LocalIdentity identity, Own own, Clock clock) {
        return new CredentialKeeper(identity, own, clock);
    }

    private Own mint() throws GeneralSecurityException {
        Ed25519.KeyPair key = Ed25519.generate(random);
        long now = clock.millis();
        DelegatedCredential credential =
                DelegatedCredential.mint(
                        identity,
                        key.publicKey(),
                        networkId,
                        now,
                        now + validity.toMillis(),
                        random);
        return new Own(credential, key, credential.encoded());
    }

    /**
     * The credential to authenticate with now, or null when there is none valid for long enough
     * (then the handshake signs with RSA). Starts a renewal on the crypto executor when less than a
     * quarter of the validity is left; never blocks.
     */
    @Nullable Own usable() {
        Own own = current;
        if (fixed) {
            return own;
        }
        long now = clock.millis();
        DelegatedCredential c = own.credential();
        long renewAt = c.notAfterMillis() - (c.notAfterMillis() - c.notBeforeMillis()) / 4;
        if (now >= renewAt) {
            renewAsync();
        }
        boolean valid =
                now >= c.notBeforeMillis() && now + MIN_REMAINING.toMillis() <= c.notAfterMillis();
        return valid ? own : null;
    }

    /** The clock credentials are checked against. */
    Clock clock() {
        return clock;
    }

    private void renewAsync() {
        if (!renewing.compareAndSet(false, true)) {
            return;
        }
        try {
            executor.execute(
                    () -> {
                        try {
                            Own next = mint();
                            current = next;
                            log.debug("renewed the delegated credential of {}", identity);
                            save(next);
                        } catch (GeneralSecurityException | RuntimeException e) {
                            log.warn("could not renew the delegated credential: {}", e.toString());
                        } finally {
                            renewing.set(false);
                        }
                    });
        } catch (RejectedExecutionException e) {
            renewing.set(false);
        }
    }

    private @Nullable Own load(DelegatedCredentialStore from) {
        byte[] state;
        try {
            state = from.load();
        } catch (IOException | RuntimeException e) {
            log.warn("could not load the stored delegated credential: {}", e.toString());
            return null;
        }
        if (state == null) {
            return null;
        }
        try {
            Own own = fromState(state);
            if (own == null) {
                log.info("the stored delegated credential is not usable now; signing a new one");
            }
            return own;
        } catch (RuntimeException e) {
            log.warn("could not read the stored delegated credential: {}", e.toString());
            return null;
        } finally {
            Secret.wipe(state);
        }
    }

    private void save(Own own) {
        if (store == null) {
            return;
        }
        byte[] state = stateOf(own);
        try {
            store.save(state);
        } catch (IOException | RuntimeException e) {
            log.warn("could not save the delegated credential: {}", e.toString());
        } finally {
            Secret.wipe(state);
        }
    }

    /** The stored form of {@code own}: version, private seed, credential (see the class doc). */
    static byte[] stateOf(Own own) {
        byte[] seed = own.key().seed();
        byte[] encoded = own.encoded();
        try {
            return ByteBuffer.allocate(1 + Ed25519.KEY_LENGTH + encoded.length)
                    .put((byte) STATE_VERSION)
                    .put(seed)
                    .put(encoded)
                    .array();
        } finally {
            Secret.wipe(seed);
        }
    }

    /**
     * The credential in {@code state}, or null unless it is well formed, its key pair matches, it
     * was signed by this keeper's identity for its network, is no longer valid than {@code
     * validity}, has begun, and has more than a quarter of its validity left (else a renewal would
     * start at once). Costs one RSA verification, no signature.
     */
    @Nullable Own fromState(byte[] state) {
        if (state.length < 1 + Ed25519.KEY_LENGTH || (state[0] & 0xff) != STATE_VERSION) {
            return null;
        }
        byte[] seed = java.util.Arrays.copyOfRange(state, 1, 1 + Ed25519.KEY_LENGTH);
        byte[] encoded = java.util.Arrays.copyOfRange(state, 1 + Ed25519.KEY_LENGTH, state.length);
        Ed25519.KeyPair key;
        try {
            key = Ed25519.fromSeed(seed);
        } finally {
            Secret.wipe(seed);
        }
        DelegatedCredential c;
        try {
            c = DelegatedCredential.decode(encoded, DelegatedCredential.SCHEME_ED25519);
            c.checkClaims(identity.peerId(), networkId, clock.millis());
        } catch (HandshakeException e) {
            key.destroy();
            return null;
        }
        long now = clock.millis();
        long span = c.notAfterMillis() - c.notBeforeMillis();
        boolean good =
                MessageDigest.isEqual(c.publicKey(), key.publicKey())
                        && span <= validity.toMillis()
                        && now >= c.notBeforeMillis()
                        && now < c.notAfterMillis() - span / 4
                        && c.signatureValid(identity.publicKey());
        if (!good) {
            key.destroy();
            return null;
        }
        return new Own(c, key, encoded);
    }

    /** Whether a credential with this digest verified before. */
    boolean isVerified(byte[] digest) {
        synchronized (cacheLock) {
            return verified.containsKey(ByteBuffer.wrap(digest));
        }
    }

    /** Remembers that the credential with this digest verified. */
    void markVerified(byte[] digest) {
        synchronized (cacheLock) {
            verified.put(ByteBuffer.wrap(digest.clone()), Boolean.TRUE);
        }
    }

    /** Entries in the verified cache; for tests. */
    int verifiedCountForTesting() {
        synchronized (cacheLock) {
            return verified.size();
        }
    }

    /** Replaces the own credential with one minted now, and saves it; for tests. */
    void renewNowForTesting() throws GeneralSecurityException {
        current = mint();
        save(current);
    }

    /** The own credential, valid or not; for tests. */
    Own currentForTesting() {
        return current;
    }

    @Override
    public String toString() {
        return "CredentialKeeper[" + identity + "]";
    }
}
