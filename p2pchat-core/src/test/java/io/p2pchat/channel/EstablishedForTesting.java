package io.p2pchat.channel;

import io.p2pchat.crypto.Secret;
import io.p2pchat.identity.LocalIdentity;
import java.util.Optional;

/**
 * Matching {@link Established} results for both roles without running a handshake, from fixed
 * secrets: for fuzz targets and tests of the record layer that need a fresh established channel per
 * input, cheaply and deterministically.
 */
public final class EstablishedForTesting {
    private EstablishedForTesting() {}

    /** The two sides' results: index 0 the initiator's, index 1 the responder's. */
    public static Established[] pair(
            LocalIdentity initiator,
            LocalIdentity responder,
            CipherSuite suite,
            int ratchetRecords,
            byte seed) {
        byte[] iTraffic = filled(32, seed);
        byte[] rTraffic = filled(32, (byte) (seed + 1));
        byte[] exporter = filled(32, (byte) (seed + 2));
        byte[] rekeyRoot = filled(32, (byte) (seed + 3));
        byte[] th = filled(32, (byte) (seed + 4));
        Established i =
                new Established(
                        Role.INITIATOR,
                        1,
                        suite,
                        Secret.copyOf(iTraffic),
                        Secret.copyOf(rTraffic),
                        Secret.copyOf(exporter),
                        Secret.copyOf(rekeyRoot),
                        responder.peerId(),
                        responder.publicKey(),
                        new byte[0],
                        Optional.empty(),
                        ratchetRecords,
                        1L << 34,
                        65536,
                        th.clone(),
                        new byte[0],
                        false);
        Established r =
                new Established(
                        Role.RESPONDER,
                        1,
                        suite,
                        Secret.copyOf(rTraffic),
                        Secret.copyOf(iTraffic),
                        Secret.copyOf(exporter),
                        Secret.copyOf(rekeyRoot),
                        initiator.peerId(),
                        initiator.publicKey(),
                        new byte[0],
                        Optional.empty(),
                        ratchetRecords,
                        1L << 34,
                        65536,
                        th,
                        new byte[0],
                        false);
        return new Established[] {i, r};
    }

    private static byte[] filled(int n, byte b) {
        byte[] out = new byte[n];
        java.util.Arrays.fill(out, b);
        return out;
    }
}
