package io.p2pchat.ledger.chain;

import io.p2pchat.identity.PeerId;
import org.jspecify.annotations.Nullable;

/**
 * Read access to the identity state at some point of a chain: the base state of the best chain, or
 * a {@link StateDelta} layered over it while a block or a reorganization is validated.
 */
interface StateView {
    /** A view with no identities. */
    StateView EMPTY =
            new StateView() {
                @Override
                public @Nullable IdentityEntry identity(PeerId id) {
                    return null;
                }

                @Override
                public @Nullable PeerId identityOfKey(PeerId keyId) {
                    return null;
                }

                @Override
                public @Nullable PeerId nameOwner(String name) {
                    return null;
                }
            };

    /** The identity with this id, or null. */
    @Nullable IdentityEntry identity(PeerId id);

    /** The identity that uses or used the key with this id, or null. */
    @Nullable PeerId identityOfKey(PeerId keyId);

    /** The identity that owns this display name, or null. */
    @Nullable PeerId nameOwner(String name);
}
