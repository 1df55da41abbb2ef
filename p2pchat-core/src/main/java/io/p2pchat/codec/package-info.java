/**
 * Codecs that carry application messages over an established secure channel: length-delimited
 * Protobuf with a hard size limit.
 *
 * <p>See {@code docs/protocol.md}, section "Application messages".
 */
@NullMarked
package io.p2pchat.codec;

import org.jspecify.annotations.NullMarked;
