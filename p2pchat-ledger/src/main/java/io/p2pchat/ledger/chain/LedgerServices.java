package io.p2pchat.ledger.chain;

import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The {@link LedgerService} behind a public {@code io.p2pchat.ledger.Ledger}, for the packages of
 * this module above the facade (replication, the node) and for tests.
 *
 * <p>The facade keeps its service package-private, so that no exported signature names a type of
 * this package, and registers its lookup here when its class is initialized (the JDK's {@code
 * SharedSecrets} pattern). Anyone holding a {@code Ledger} has initialized its class, so the lookup
 * is always there when it is asked for. Only the first registration counts.
 */
public final class LedgerServices {
    private static volatile @Nullable Function<Object, LedgerService> lookup;

    private LedgerServices() {}

    /**
     * Called once, by {@code Ledger}'s static initializer.
     *
     * @throws IllegalStateException if a lookup is registered already
     */
    public static synchronized void register(Function<Object, LedgerService> ledgerToService) {
        if (lookup != null) {
            throw new IllegalStateException("the ledger service lookup is registered already");
        }
        lookup = ledgerToService;
    }

    /**
     * The service of {@code ledger}, a {@code io.p2pchat.ledger.Ledger}.
     *
     * @throws ClassCastException if {@code ledger} is not a {@code Ledger}
     */
    public static LedgerService of(Object ledger) {
        Function<Object, LedgerService> f = lookup;
        if (f == null) {
            throw new IllegalStateException("io.p2pchat.ledger.Ledger is not initialized");
        }
        return f.apply(ledger);
    }
}
