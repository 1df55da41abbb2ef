package io.p2pchat.ledger.chain;

import io.p2pchat.identity.PeerId;
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Changes to the identity state layered over a parent {@link StateView}: what validating a block
 * produces, and what undoing it applies. Absent keys read through to the parent; a key mapped to
 * {@link #REMOVED} reads as absent.
 *
 * <p>Not thread-safe: owned by the ledger thread while it validates.
 */
public final class StateDelta implements StateView {
    /** Marks a removed entry. */
    static final Object REMOVED = new Object();

    private final StateView parent;
    final Map<PeerId, Object> identities = new HashMap<>();
    final Map<PeerId, Object> keys = new HashMap<>();
    final Map<String, Object> names = new HashMap<>();

    /** An empty delta over {@code parent}. */
    public StateDelta(StateView parent) {
        this.parent = parent;
    }

    @Override
    public @Nullable IdentityEntry identity(PeerId id) {
        Object v = identities.get(id);
        if (v == null) {
            return parent.identity(id);
        }
        return v == REMOVED ? null : (IdentityEntry) v;
    }

    @Override
    public @Nullable PeerId identityOfKey(PeerId keyId) {
        Object v = keys.get(keyId);
        if (v == null) {
            return parent.identityOfKey(keyId);
        }
        return v == REMOVED ? null : (PeerId) v;
    }

    @Override
    public @Nullable PeerId nameOwner(String name) {
        Object v = names.get(name);
        if (v == null) {
            return parent.nameOwner(name);
        }
        return v == REMOVED ? null : (PeerId) v;
    }

    void putIdentity(IdentityEntry e) {
        identities.put(e.id(), e);
    }

    void putKey(PeerId keyId, PeerId identity) {
        keys.put(keyId, identity);
    }

    void putName(String name, PeerId identity) {
        names.put(name, identity);
    }

    /**
     * The delta that restores {@code before} (the view this delta was computed over): for every key
     * this delta touches, the value {@code before} had. The result is a change set to merge ({@link
     * #mergeInto}) or apply, not a view.
     */
    public StateDelta undoAgainst(StateView before) {
        StateDelta undo = new StateDelta(StateView.EMPTY);
        for (PeerId id : identities.keySet()) {
            IdentityEntry old = before.identity(id);
            undo.identities.put(id, old == null ? REMOVED : old);
        }
        for (PeerId k : keys.keySet()) {
            PeerId old = before.identityOfKey(k);
            undo.keys.put(k, old == null ? REMOVED : old);
        }
        for (String n : names.keySet()) {
            PeerId old = before.nameOwner(n);
            undo.names.put(n, old == null ? REMOVED : old);
        }
        return undo;
    }

    /** Copies this delta's changes over {@code target}'s (later changes win). */
    public void mergeInto(StateDelta target) {
        target.identities.putAll(identities);
        target.keys.putAll(keys);
        target.names.putAll(names);
    }

    /** Re-parents a copy of this delta's changes over {@code newParent}. */
    public StateDelta rebase(StateView newParent) {
        StateDelta d = new StateDelta(newParent);
        mergeInto(d);
        return d;
    }

    /** Whether the delta changes nothing. */
    public boolean isEmpty() {
        return identities.isEmpty() && keys.isEmpty() && names.isEmpty();
    }

    /** The identities this delta changes, with their new value (null when removed). */
    public Map<PeerId, @Nullable IdentityEntry> changedIdentities() {
        Map<PeerId, @Nullable IdentityEntry> out = new HashMap<>();
        for (Map.Entry<PeerId, Object> e : identities.entrySet()) {
            out.put(e.getKey(), e.getValue() == REMOVED ? null : (IdentityEntry) e.getValue());
        }
        return out;
    }
}
