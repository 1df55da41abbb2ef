package io.p2pchat.ledger.chain;

import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.TxId;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers which transaction signatures verified, by (transaction id, signing key id, signature
 * index), so that a transaction checked on mempool admission is not verified again in its block,
 * nor again after a reorganization. A hit is as good as a verification: the id commits to the exact
 * envelope bytes, and the key id to the exact key.
 *
 * <p>Bounded (least recently used entries are evicted). Thread-safe.
 */
public final class SignatureCache {
    private record Key(TxId tx, PeerId keyId, int index) {}

    private final Map<Key, Boolean> entries;

    /** A cache of at most {@code capacity} entries. */
    public SignatureCache(int capacity) {
        this.entries =
                new LinkedHashMap<>(1024, 0.75f, true) {
                    private static final long serialVersionUID = 1L;

                    @Override
                    protected boolean removeEldestEntry(Map.Entry<Key, Boolean> eldest) {
                        return size() > capacity;
                    }
                };
    }

    /** Whether this signature is known to verify. */
    public synchronized boolean contains(TxId tx, PeerId keyId, int index) {
        return entries.get(new Key(tx, keyId, index)) != null;
    }

    /** Records a verified signature. */
    public synchronized void add(TxId tx, PeerId keyId, int index) {
        entries.put(new Key(tx, keyId, index), Boolean.TRUE);
    }
}
