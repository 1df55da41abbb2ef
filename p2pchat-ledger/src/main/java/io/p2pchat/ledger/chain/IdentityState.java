package io.p2pchat.ledger.chain;

import io.p2pchat.identity.PeerId;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The identity state of the best chain's tip: identities by id, every key ever used by key id, and
 * display names.
 *
 * <p>Not thread-safe by itself: the ledger guards it with its read-write lock. Changes arrive only
 * as whole {@link StateDelta}s, applied under the write lock.
 */
public final class IdentityState implements StateView {
    private Map<PeerId, IdentityEntry> identities = new HashMap<>();
    private Map<PeerId, PeerId> keys = new HashMap<>();
    private Map<String, PeerId> names = new HashMap<>();

    /** An empty state. */
    public IdentityState() {}

    /** A state of these maps (taken over, not copied): for {@link StateSnapshot}. */
    static IdentityState of(
            Map<PeerId, IdentityEntry> identities,
            Map<PeerId, PeerId> keys,
            Map<String, PeerId> names) {
        IdentityState s = new IdentityState();
        s.identities = identities;
        s.keys = keys;
        s.names = names;
        return s;
    }

    /**
     * Replaces this state's contents with {@code other}'s, which must not be used afterwards (its
     * maps are taken over).
     */
    void replaceWith(IdentityState other) {
        identities = other.identities;
        keys = other.keys;
        names = other.names;
        other.identities = new HashMap<>();
        other.keys = new HashMap<>();
        other.names = new HashMap<>();
    }

    /** The live identity map, for {@link StateSnapshot} on the ledger thread; do not modify. */
    Map<PeerId, IdentityEntry> identityMap() {
        return identities;
    }

    /** The live key index, for {@link StateSnapshot}; do not modify. */
    Map<PeerId, PeerId> keyMap() {
        return keys;
    }

    /** The live name index, for {@link StateSnapshot}; do not modify. */
    Map<String, PeerId> nameMap() {
        return names;
    }

    @Override
    public @Nullable IdentityEntry identity(PeerId id) {
        return identities.get(id);
    }

    @Override
    public @Nullable PeerId identityOfKey(PeerId keyId) {
        return keys.get(keyId);
    }

    @Override
    public @Nullable PeerId nameOwner(String name) {
        return names.get(name);
    }

    /** Applies {@code delta}'s changes. */
    public void apply(StateDelta delta) {
        for (Map.Entry<PeerId, Object> e : delta.identities.entrySet()) {
            if (e.getValue() == StateDelta.REMOVED) {
                identities.remove(e.getKey());
            } else {
                identities.put(e.getKey(), (IdentityEntry) e.getValue());
            }
        }
        for (Map.Entry<PeerId, Object> e : delta.keys.entrySet()) {
            if (e.getValue() == StateDelta.REMOVED) {
                keys.remove(e.getKey());
            } else {
                keys.put(e.getKey(), (PeerId) e.getValue());
            }
        }
        for (Map.Entry<String, Object> e : delta.names.entrySet()) {
            if (e.getValue() == StateDelta.REMOVED) {
                names.remove(e.getKey());
            } else {
                names.put(e.getKey(), (PeerId) e.getValue());
            }
        }
    }

    /** Number of identities. */
    public int size() {
        return identities.size();
    }

    /** All identities (a copy), for comparisons and listings. */
    public Map<PeerId, IdentityEntry> identities() {
        return Map.copyOf(identities);
    }

    /** The key index (a copy). */
    public Map<PeerId, PeerId> keyIndex() {
        return Map.copyOf(keys);
    }

    /** The name index (a copy). */
    public Map<String, PeerId> nameIndex() {
        return Map.copyOf(names);
    }
}
