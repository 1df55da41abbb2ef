package io.p2pchat.testing;

import io.p2pchat.identity.LocalIdentity;
import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test identities, generated once per JVM and cached by name: RSA key generation takes about a
 * second at 3072 bits, which would dominate the test run.
 */
public final class TestIdentities {
    private static final ConcurrentHashMap<String, LocalIdentity> CACHE = new ConcurrentHashMap<>();

    private TestIdentities() {}

    /** A 2048-bit identity named {@code name}: fast to generate, the smallest accepted size. */
    public static LocalIdentity get(String name) {
        return CACHE.computeIfAbsent(name, n -> LocalIdentity.generate(2048, new SecureRandom()));
    }

    /** An identity of {@code bits} bits named {@code name}. */
    public static LocalIdentity get(String name, int bits) {
        return CACHE.computeIfAbsent(
                name + "#" + bits, n -> LocalIdentity.generate(bits, new SecureRandom()));
    }

    /** A 3072-bit identity named {@code name}, the production default. */
    public static LocalIdentity get3072(String name) {
        return CACHE.computeIfAbsent(
                name + "#3072", n -> LocalIdentity.generate(3072, new SecureRandom()));
    }
}
