/**
 * Internal implementation of p2pchat; not an API. Types here may change in any release without
 * notice; applications must not use them.
 */
@NullMarked
package io.p2pchat.internal.handshake;

import org.jspecify.annotations.NullMarked;
