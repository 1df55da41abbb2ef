package io.p2pchat.example.node;

import io.p2pchat.example.text.UserError;
import java.net.InetSocketAddress;

/**
 * A "host:port" given on the command line (IPv6 literals in brackets: {@code [::1]:7000}).
 *
 * @param host a host name or IP literal, without brackets
 * @param port 0..65535
 */
public record HostPort(String host, int port) {
    /**
     * Parses {@code text} given for {@code option}.
     *
     * @throws UserError with an example when it is not HOST:PORT
     */
    public static HostPort parse(String option, String text) {
        String s = text.strip();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw UserError.usage(
                    option + " expects HOST:PORT, such as 127.0.0.1:7000 (got '" + text + "').");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw UserError.usage(option + ": write an IPv6 address in brackets, as [::1]:7000.");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw UserError.usage(
                    option + ": '" + s.substring(colon + 1) + "' is not a port number.");
        }
        if (port < 0 || port > 65535) {
            throw UserError.usage(option + ": port " + port + " is out of range (1..65535).");
        }
        return new HostPort(host, port);
    }

    /** The socket address (resolving a host name). */
    public InetSocketAddress socketAddress() {
        if (port == 0) {
            throw UserError.usage("port 0 is not an address to connect to.");
        }
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
