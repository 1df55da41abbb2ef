package io.p2pchat.ledger.model;

import java.util.Locale;
import java.util.Objects;

/**
 * An address where an identity accepts connections, valid until its expiry.
 *
 * @param host an IP literal (IPv4 dotted quad, or IPv6 without brackets) or a DNS name: 1 to 253
 *     characters of {@code [A-Za-z0-9.:-]}
 * @param port 1 to 65535
 * @param expiresAtMillis Unix time in milliseconds after which the address is no longer valid
 */
public record RegisteredAddress(String host, int port, long expiresAtMillis) {
    /** Longest host, in characters. */
    public static final int MAX_HOST_LENGTH = 253;

    /**
     * Validates.
     *
     * @throws IllegalArgumentException if the host, port or expiry is out of range
     */
    public RegisteredAddress {
        Objects.requireNonNull(host, "host");
        String problem = problem(host, port, expiresAtMillis);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /** Why these fields are not a valid address, or null when they are. */
    public static String problem(String host, int port, long expiresAtMillis) {
        if (host.isEmpty() || host.length() > MAX_HOST_LENGTH) {
            return "host length: " + host.length() + " (expected: 1.." + MAX_HOST_LENGTH + ")";
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok =
                    (c >= 'a' && c <= 'z')
                            || (c >= 'A' && c <= 'Z')
                            || (c >= '0' && c <= '9')
                            || c == '.'
                            || c == '-'
                            || c == ':';
            if (!ok) {
                return "host: character " + (int) c + " at " + i + " (expected: [A-Za-z0-9.:-])";
            }
        }
        if (port < 1 || port > 65535) {
            return "port: " + port + " (expected: 1..65535)";
        }
        if (expiresAtMillis <= 0) {
            return "expiresAtMillis: " + expiresAtMillis + " (expected: > 0)";
        }
        return null;
    }

    /** Whether the address is still valid at {@code nowMillis}. */
    public boolean isValidAt(long nowMillis) {
        return nowMillis < expiresAtMillis;
    }

    /** "host:port", with brackets around an IPv6 host. */
    public String hostAndPort() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** The host in lower case, for comparisons. */
    public String normalizedHost() {
        return host.toLowerCase(Locale.ROOT);
    }
}
