package io.p2pchat.ledger.model;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The RFC 6962 Merkle tree of a block's transactions, with leaf and node domain separation.
 *
 * <pre>
 * MTH({})      = SHA-256()
 * MTH({d0})    = SHA-256(0x00 || d0)
 * MTH(D[0:n])  = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k = largest power of 2 &lt; n
 * </pre>
 *
 * <p>No element is ever duplicated to fill a level, so two different transaction lists never share
 * a root the way Bitcoin's CVE-2012-2459 allowed. Inclusion proofs are RFC 6962 audit paths,
 * verified with the RFC 9162 (section 2.1.3.2) algorithm; their length is checked against the tree
 * size before any hashing.
 *
 * <p>Stateless and thread-safe.
 */
public final class Merkle {
    /** Longest audit path accepted: trees of up to 2^32 leaves. */
    public static final int MAX_PROOF_LENGTH = 32;

    private static final byte[] EMPTY_ROOT = LedgerHashes.sha256(new byte[0]);

    private Merkle() {}

    /** The root over the given leaf hashes (each already {@code SHA-256(0x00 || tx)}). */
    public static byte[] root(List<byte[]> leafHashes) {
        if (leafHashes.isEmpty()) {
            return EMPTY_ROOT.clone();
        }
        if (leafHashes.size() == 1) {
            return leafHashes.get(0).clone();
        }
        return subtreeRoot(leafHashes, 0, leafHashes.size());
    }

    private static byte[] subtreeRoot(List<byte[]> leaves, int from, int to) {
        int n = to - from;
        if (n == 1) {
            return leaves.get(from);
        }
        int k = largestPowerOfTwoBelow(n);
        return LedgerHashes.nodeHash(
                subtreeRoot(leaves, from, from + k), subtreeRoot(leaves, from + k, to));
    }

    /** The largest power of two strictly less than {@code n} (n &gt;= 2). */
    static int largestPowerOfTwoBelow(int n) {
        return Integer.highestOneBit(n - 1);
    }

    /** The audit path of leaf {@code index}, leaf to root. */
    public static List<byte[]> proof(List<byte[]> leafHashes, int index) {
        if (index < 0 || index >= leafHashes.size()) {
            throw new IllegalArgumentException(
                    "index: " + index + " (expected: 0.." + (leafHashes.size() - 1) + ")");
        }
        List<byte[]> path = new ArrayList<>();
        proof(leafHashes, index, 0, leafHashes.size(), path);
        return path;
    }

    private static void proof(List<byte[]> leaves, int m, int from, int to, List<byte[]> out) {
        int n = to - from;
        if (n <= 1) {
            return;
        }
        int k = largestPowerOfTwoBelow(n);
        if (m < k) {
            proof(leaves, m, from, from + k, out);
            out.add(subtreeRoot(leaves, from + k, to));
        } else {
            proof(leaves, m - k, from + k, to, out);
            out.add(subtreeRoot(leaves, from, from + k));
        }
    }

    /**
     * Whether {@code proof} proves leaf {@code index} of a tree of {@code size} leaves with root
     * {@code root}. Never throws for bad input: wrong lengths and out-of-range indexes are false.
     */
    public static boolean verify(
            byte[] leafHash, long index, long size, List<byte[]> proof, byte[] root) {
        if (size < 1 || index < 0 || index >= size || proof.size() > MAX_PROOF_LENGTH) {
            return false;
        }
        if (leafHash.length != 32 || root.length != 32) {
            return false;
        }
        // The path length is fully determined by index and size: reject anything else up front.
        if (proof.size() != expectedProofLength(index, size)) {
            return false;
        }
        long fn = index;
        long sn = size - 1;
        byte[] r = leafHash;
        for (byte[] p : proof) {
            if (p.length != 32 || sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = LedgerHashes.nodeHash(p, r);
                if ((fn & 1) == 0) {
                    while ((fn & 1) == 0 && fn != 0) {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            } else {
                r = LedgerHashes.nodeHash(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(r, root);
    }

    /** The audit path length of leaf {@code index} in a tree of {@code size} leaves. */
    static int expectedProofLength(long index, long size) {
        int length = 0;
        long from = 0;
        long to = size;
        long m = index;
        while (to - from > 1) {
            long n = to - from;
            long k = Long.highestOneBit(n - 1);
            if (m < k) {
                to = from + k;
            } else {
                m -= k;
                from = from + k;
            }
            length++;
        }
        return length;
    }

    /** The empty tree's root, SHA-256 of nothing. */
    public static byte[] emptyRoot() {
        return EMPTY_ROOT.clone();
    }

    /** Whether two 32-byte hashes are equal. */
    static boolean same(byte[] a, byte[] b) {
        return Arrays.equals(a, b);
    }
}
