/**
 * This peer's identity and how peers are named: the RSA key pair ({@link
 * io.p2pchat.identity.LocalIdentity}), the self-certifying {@link io.p2pchat.identity.PeerId}
 * (SHA-256 of the public key), the fingerprints people compare out of band ({@link
 * io.p2pchat.identity.Fingerprints}), and the passphrase-encrypted identity file ({@link
 * io.p2pchat.identity.IdentityStore}), which also keeps the {@link io.p2pchat.identity.StorageRoot}
 * of an application's keys for data at rest.
 *
 * <p>Nothing here touches the network. Key generation and {@code IdentityStore} block for CPU and
 * disk; run them off the event loops. The threat model, the storage format and the defaults are in
 * {@code docs/security.md}.
 */
@NullMarked
package io.p2pchat.identity;

import org.jspecify.annotations.NullMarked;
