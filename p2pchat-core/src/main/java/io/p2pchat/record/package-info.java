/**
 * The record layer: AES-GCM records with sequence-number nonces, the authenticated close and
 * channel-closed events.
 *
 * <p>See {@code docs/protocol.md}, sections 3 "Records" and 10 "Alerts and close".
 */
@NullMarked
package io.p2pchat.record;

import org.jspecify.annotations.NullMarked;
