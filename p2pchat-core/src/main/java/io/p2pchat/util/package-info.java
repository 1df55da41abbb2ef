/**
 * Small helpers with no protocol knowledge: crash-safe writes ({@link
 * io.p2pchat.util.AtomicFiles}), owner-only files and directories ({@link
 * io.p2pchat.util.PrivateFiles}) and a token-bucket rate limit ({@link
 * io.p2pchat.util.TokenBucket}).
 *
 * <p>Not exported by the {@code io.p2pchat.core} module (only to {@code io.p2pchat.ledger}): not an
 * API, may change in any release. It imports nothing else of p2pchat.
 */
@NullMarked
package io.p2pchat.util;

import org.jspecify.annotations.NullMarked;
