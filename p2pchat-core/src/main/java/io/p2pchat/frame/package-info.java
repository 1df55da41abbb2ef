/**
 * Framing: splits the byte stream into length-prefixed frames with a hard size limit.
 *
 * <p>See {@code docs/protocol.md}, section 2 "Framing".
 */
@NullMarked
package io.p2pchat.frame;

import org.jspecify.annotations.NullMarked;
