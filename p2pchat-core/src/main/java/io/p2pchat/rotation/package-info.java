/**
 * Key rotation: the symmetric ratchet, explicit key updates and in-channel rekeys, their policy and
 * events.
 *
 * <p>See {@code docs/protocol.md}, section 8 "Key rotation".
 */
@NullMarked
package io.p2pchat.rotation;

import org.jspecify.annotations.NullMarked;
