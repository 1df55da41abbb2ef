/**
 * Benchmarks of p2pchat against Netty's TLS 1.3 and plain TCP: JMH micro-benchmarks of the crypto
 * ceilings and a loopback harness of the whole system, both driven by {@link
 * io.p2pchat.bench.BenchMain} and the {@code ./bench} script (docs/benchmarks.md).
 *
 * <p>Nothing here is part of the library; no other module depends on this one.
 */
package io.p2pchat.bench;
