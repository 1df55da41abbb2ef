/**
 * The cryptographic primitives p2pchat composes, each a thin wrapper over the JDK or Bouncy Castle
 * (AES-GCM, HKDF, HMAC-SHA256, X25519, ML-KEM-768, RSA-PSS), the transcript hash, the key schedule
 * of {@code docs/protocol.md} §6, and {@link io.p2pchat.crypto.Secret}, which wipes key material.
 *
 * <p>Not exported by the {@code io.p2pchat.core} module (only to {@code io.p2pchat.ledger}): not an
 * API, may change in any release. It imports nothing else of p2pchat.
 */
@NullMarked
package io.p2pchat.crypto;

import org.jspecify.annotations.NullMarked;
