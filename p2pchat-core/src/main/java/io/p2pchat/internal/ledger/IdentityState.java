package io.p2pchat.internal.ledger;

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
    private final Map<PeerId, IdentityEntry> identities = new HashMap<>();
    private final Map<PeerId, PeerId> keys = new HashMap<>();
    private final Map<String, PeerId> names = new HashMap<>();

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
