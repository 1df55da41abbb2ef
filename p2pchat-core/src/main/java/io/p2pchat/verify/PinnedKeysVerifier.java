package io.p2pchat.verify;

import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.PeerCredentials;
import io.p2pchat.channel.PeerVerificationException;
import io.p2pchat.channel.PeerVerifier;
import io.p2pchat.crypto.RsaPss;
import io.p2pchat.identity.PeerId;
import io.p2pchat.identity.RsaKeySizes;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts only peers whose {@link PeerId} is on a fixed list: the strictest {@link PeerVerifier},
 * for small closed groups that exchanged ids out of band.
 *
 * <h2>Usage</h2>
 *
 * <pre>{@code
 * PeerVerifier verifier = PinnedKeysVerifier.builder()
 *         .pin("alice", PeerId.fromHex("3f2a...")) // as read aloud from her fingerprint
 *         .pin("bob", bobPublicKey)
 *         .build();
 * }</pre>
 *
 * A peer id is SHA-256 of the RSA public key, so pinning an id pins the key: a peer that presents
 * another key has another id and is refused with {@link ErrorCode#UNKNOWN_IDENTITY}. Names are
 * optional labels for logs and for {@link #nameOf(PeerId)}; they carry no authority.
 *
 * <h2>Threading</h2>
 *
 * Immutable and thread-safe.
 */
public final class PinnedKeysVerifier implements PeerVerifier {
    private static final Logger log = LoggerFactory.getLogger(PinnedKeysVerifier.class);

    /** Longest accepted name, in characters. */
    public static final int MAX_NAME_LENGTH = 64;

    /** Pinned ids, each with its name or "" for none; insertion ordered. */
    private final Map<PeerId, String> pins;

    private PinnedKeysVerifier(Map<PeerId, String> pins) {
        this.pins = Collections.unmodifiableMap(new LinkedHashMap<>(pins));
    }

    /**
     * A verifier that accepts exactly {@code ids}.
     *
     * @throws IllegalArgumentException if {@code ids} is empty
     */
    public static PinnedKeysVerifier of(PeerId... ids) {
        return of(Arrays.asList(ids));
    }

    /**
     * A verifier that accepts exactly {@code ids}.
     *
     * @throws IllegalArgumentException if {@code ids} is empty
     */
    public static PinnedKeysVerifier of(Collection<PeerId> ids) {
        Builder builder = builder();
        for (PeerId id : ids) {
            builder.pin(id);
        }
        return builder.build();
    }

    /** Starts an empty builder. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Accepts the peer if its id is pinned.
     *
     * @throws PeerVerificationException with {@link ErrorCode#UNKNOWN_IDENTITY} if it is not, or
     *     {@link ErrorCode#ID_KEY_MISMATCH} if the credentials' id is not the hash of their key
     */
    /** True: the check reads memory only. */
    @Override
    public boolean isNonBlocking() {
        return true;
    }

    @Override
    public void verify(PeerCredentials peer) throws PeerVerificationException {
        PeerId id = peer.peerId();
        if (!id.matches(peer.publicKey())) {
            // The handshake guarantees this; checked again because the decision rests on it.
            throw new PeerVerificationException(
                    ErrorCode.ID_KEY_MISMATCH,
                    "peer " + id.shortId() + " is not the SHA-256 of the key it presented");
        }
        String name = pins.get(id);
        if (name == null) {
            throw new PeerVerificationException(
                    ErrorCode.UNKNOWN_IDENTITY,
                    "peer "
                            + id.shortId()
                            + " is not among the "
                            + pins.size()
                            + " pinned identities (fingerprint "
                            + id.fingerprint()
                            + ")");
        }
        if (log.isDebugEnabled()) {
            log.debug("Accepted pinned peer {}", describe(id, name));
        }
    }

    /** The pinned ids, in the order they were pinned. */
    public Set<PeerId> pinnedIds() {
        return pins.keySet();
    }

    /** The name given to {@code id} when it was pinned, if any. */
    public Optional<String> nameOf(PeerId id) {
        String name = pins.get(Objects.requireNonNull(id, "id"));
        return name == null || name.isEmpty() ? Optional.empty() : Optional.of(name);
    }

    private static String describe(PeerId id, String name) {
        return name.isEmpty() ? id.shortId() : name + " (" + id.shortId() + ")";
    }

    @Override
    public String toString() {
        return "PinnedKeysVerifier[" + pins.size() + " pinned]";
    }

    /**
     * Collects pins for a {@link PinnedKeysVerifier}. Setters validate at once.
     *
     * <p>Not thread-safe.
     */
    public static final class Builder {
        private final Map<PeerId, String> pins = new LinkedHashMap<>();

        private Builder() {}

        /** Pins {@code id} without a name. */
        public Builder pin(PeerId id) {
            return add(Objects.requireNonNull(id, "id"), "");
        }

        /**
         * Pins {@code id} under {@code name}.
         *
         * @throws IllegalArgumentException if {@code name} is empty, longer than {@value
         *     #MAX_NAME_LENGTH} characters or has control characters, or if {@code id} is already
         *     pinned under another name
         */
        public Builder pin(String name, PeerId id) {
            return add(Objects.requireNonNull(id, "id"), checkName(name));
        }

        /**
         * Pins the id of {@code key} without a name.
         *
         * @throws IllegalArgumentException if the key is smaller or larger than p2pchat accepts
         */
        public Builder pin(RSAPublicKey key) {
            return add(idOf(key), "");
        }

        /**
         * Pins the id of {@code key} under {@code name}.
         *
         * @throws IllegalArgumentException as {@link #pin(String, PeerId)} and {@link
         *     #pin(RSAPublicKey)}
         */
        public Builder pin(String name, RSAPublicKey key) {
            return add(idOf(key), checkName(name));
        }

        /**
         * Creates the verifier.
         *
         * @throws IllegalArgumentException if nothing is pinned: such a verifier would refuse
         *     everyone, which is almost always a configuration mistake
         */
        public PinnedKeysVerifier build() {
            if (pins.isEmpty()) {
                throw new IllegalArgumentException("pinned identities: 0 (expected: at least 1)");
            }
            return new PinnedKeysVerifier(pins);
        }

        private Builder add(PeerId id, String name) {
            String previous = pins.putIfAbsent(id, name);
            if (previous != null && !previous.equals(name)) {
                throw new IllegalArgumentException(
                        "peer "
                                + id.shortId()
                                + ": already pinned as \""
                                + previous
                                + "\" (expected: one name per identity)");
            }
            return this;
        }

        private static PeerId idOf(RSAPublicKey key) {
            Objects.requireNonNull(key, "key");
            int bits = RsaPss.keyBits(key);
            if (!RsaKeySizes.isAllowed(bits)) {
                throw new IllegalArgumentException(
                        "key size: " + bits + " bits (expected: " + RsaKeySizes.describe() + ")");
            }
            return PeerId.ofPublicKey(key);
        }

        private static String checkName(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
                throw new IllegalArgumentException(
                        "name length: "
                                + name.length()
                                + " (expected: 1.."
                                + MAX_NAME_LENGTH
                                + ")");
            }
            if (name.chars().anyMatch(Character::isISOControl)) {
                throw new IllegalArgumentException(
                        "name: \""
                                + name.replaceAll("\\p{Cntrl}", "?")
                                + "\" (expected: no control characters)");
            }
            return name;
        }
    }
}
