/**
 * The handshake: three flights (SIGMA-I, like TLS 1.3 with mutual authentication), hybrid X25519 +
 * ML-KEM-768 key agreement, RSA-PSS transcript signatures, encrypted identities.
 *
 * <p>See {@code docs/protocol.md}, section 5 "Handshake".
 */
@NullMarked
package io.p2pchat.handshake;

import org.jspecify.annotations.NullMarked;
