package io.p2pchat.ledger.model;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The genesis parameters that define a ledger network, and the network id that names it.
 *
 * <p>The network id is SHA-256("p2pchat/1 network" || 0x00 || {@link #encode()}): two nodes with
 * different parameters (another difficulty, another random nonce) are on different networks and
 * refuse each other at the handshake ({@code WRONG_NETWORK}). Share a network by sharing its
 * encoded parameters ({@link #encode()} / {@link #decode}).
 *
 * <h2>Defaults</h2>
 *
 * Tuned for a small LAN: a 2 s target block interval, an initial difficulty of about 2^21 hashes (a
 * second or two of one core), retarget every 20 blocks within a factor of 4, registration stamps of
 * 20 bits (about a second of one core), 1 MiB blocks of at most 1000 transactions of at most 8 KiB,
 * 3 confirmations, names revealed at least 3 blocks after their commitment. {@code docs/ledger.md}
 * ("Network parameters") explains each.
 *
 * <p>Immutable and thread-safe.
 */
public final class NetworkParameters {
    /** Encoding version. */
    private static final int ENCODING_VERSION = 1;

    /** Blocks whose timestamps form the median-time-past. */
    public static final int MEDIAN_TIME_SPAN = 11;

    /** How far a block's timestamp may be ahead of the local clock. */
    public static final Duration MAX_FUTURE_DRIFT = Duration.ofHours(2);

    /**
     * How far the first block of a retarget window may be before its parent (the time-warp rule, as
     * Bitcoin's BIP 94).
     */
    public static final Duration MAX_TIME_WARP = Duration.ofMinutes(10);

    /** Addresses per identity, at most. */
    public static final int MAX_ADDRESSES = 8;

    /** Longest display name, in characters. */
    public static final int MAX_NAME_LENGTH = 32;

    private final String name;
    private final byte[] nonce;
    private final long genesisTimeMillis;
    private final long targetBlockIntervalMillis;
    private final BigInteger initialTarget;
    private final BigInteger maxTarget;
    private final int retargetWindow;
    private final int retargetClamp;
    private final int stampBits;
    private final int maxBlockBytes;
    private final int maxRecordsPerBlock;
    private final int maxRecordBytes;
    private final int confirmations;
    private final int nameRevealDelay;
    private final byte[] encoded;
    private final byte[] networkId;
    private final BlockHeader genesis;

    private NetworkParameters(Builder b) {
        this.name = b.name;
        this.nonce = b.nonce.clone();
        this.genesisTimeMillis = b.genesisTimeMillis;
        this.targetBlockIntervalMillis = b.targetBlockIntervalMillis;
        this.initialTarget = b.initialTarget;
        this.maxTarget = b.maxTarget;
        this.retargetWindow = b.retargetWindow;
        this.retargetClamp = b.retargetClamp;
        this.stampBits = b.stampBits;
        this.maxBlockBytes = b.maxBlockBytes;
        this.maxRecordsPerBlock = b.maxRecordsPerBlock;
        this.maxRecordBytes = b.maxRecordBytes;
        this.confirmations = b.confirmations;
        this.nameRevealDelay = b.nameRevealDelay;
        this.encoded = encodeFields();
        this.networkId = LedgerHashes.sha256(LedgerHashes.NETWORK_TAG, encoded);
        this.genesis =
                BlockHeader.of(
                        BlockHeader.VERSION,
                        0,
                        BlockHash.of(new byte[32]),
                        Merkle.emptyRoot(),
                        genesisTimeMillis,
                        initialTarget,
                        0,
                        networkId);
    }

    /** A builder with the default (LAN) parameters and a fresh random nonce. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Decodes parameters encoded by {@link #encode()}.
     *
     * @throws IllegalArgumentException if the bytes are not a valid encoding
     */
    public static NetworkParameters decode(byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int version = b.getInt();
            if (version != ENCODING_VERSION) {
                throw new IllegalArgumentException(
                        "network parameters version: " + version + " (expected: 1)");
            }
            byte[] nameBytes = new byte[b.get() & 0xFF];
            b.get(nameBytes);
            byte[] nonce = new byte[32];
            b.get(nonce);
            Builder builder =
                    new Builder()
                            .name(new String(nameBytes, StandardCharsets.UTF_8))
                            .nonce(nonce)
                            .genesisTimeMillis(b.getLong())
                            .targetBlockInterval(Duration.ofMillis(b.getLong()));
            byte[] t = new byte[32];
            b.get(t);
            BigInteger initial = new BigInteger(1, t);
            b.get(t);
            BigInteger max = new BigInteger(1, t);
            builder.targets(initial, max)
                    .retarget(b.getInt(), b.getInt())
                    .stampBits(b.getInt())
                    .limits(b.getInt(), b.getInt(), b.getInt())
                    .confirmations(b.getInt())
                    .nameRevealDelay(b.getInt());
            if (b.hasRemaining()) {
                throw new IllegalArgumentException(
                        "network parameters: " + b.remaining() + " trailing bytes");
            }
            NetworkParameters p = builder.build();
            if (!Arrays.equals(p.encoded, bytes)) {
                throw new IllegalArgumentException("network parameters: non-canonical encoding");
            }
            return p;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("network parameters: truncated encoding", e);
        }
    }

    private byte[] encodeFields() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(ENCODING_VERSION);
            byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
            out.writeByte(nameBytes.length);
            out.write(nameBytes);
            out.write(nonce);
            out.writeLong(genesisTimeMillis);
            out.writeLong(targetBlockIntervalMillis);
            out.write(Pow.toUint256(initialTarget));
            out.write(Pow.toUint256(maxTarget));
            out.writeInt(retargetWindow);
            out.writeInt(retargetClamp);
            out.writeInt(stampBits);
            out.writeInt(maxBlockBytes);
            out.writeInt(maxRecordsPerBlock);
            out.writeInt(maxRecordBytes);
            out.writeInt(confirmations);
            out.writeInt(nameRevealDelay);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    /** The canonical encoding ({@code docs/ledger.md}, "Network parameters"). */
    public byte[] encode() {
        return encoded.clone();
    }

    /** The 32-byte network id (a copy). */
    public byte[] networkId() {
        return networkId.clone();
    }

    /** The network id as 64 hex digits. */
    public String networkIdHex() {
        return HexFormat.of().formatHex(networkId);
    }

    /** Whether {@code id} is this network's id. */
    public boolean isNetwork(byte[] id) {
        return Arrays.equals(networkId, id);
    }

    /** The genesis block's header: height 0, no transactions, not mined. */
    public BlockHeader genesis() {
        return genesis;
    }

    /** The network's human-readable name (not unique: the id is). */
    public String name() {
        return name;
    }

    /** Genesis timestamp, Unix milliseconds. */
    public long genesisTimeMillis() {
        return genesisTimeMillis;
    }

    /** The block interval that retargeting aims at. */
    public Duration targetBlockInterval() {
        return Duration.ofMillis(targetBlockIntervalMillis);
    }

    /** The genesis target, the target of the first retarget window. */
    public BigInteger initialTarget() {
        return initialTarget;
    }

    /** The easiest target allowed (the proof-of-work limit). */
    public BigInteger maxTarget() {
        return maxTarget;
    }

    /** Blocks per retarget window. */
    public int retargetWindow() {
        return retargetWindow;
    }

    /** The factor by which one retarget may change the target, at most. */
    public int retargetClamp() {
        return retargetClamp;
    }

    /** Leading zero bits required of a registration stamp. */
    public int stampBits() {
        return stampBits;
    }

    /** Largest block: header plus the transactions' bytes. */
    public int maxBlockBytes() {
        return maxBlockBytes;
    }

    /** Most transactions in one block. */
    public int maxRecordsPerBlock() {
        return maxRecordsPerBlock;
    }

    /** Largest transaction envelope. */
    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    /** The most confirmations (k) a verifier may require. */
    public static final int MAX_CONFIRMATIONS = 1000;

    /**
     * Checks a number of confirmations (k) a verifier requires: 1 to {@link #MAX_CONFIRMATIONS}.
     * The one check behind every builder's {@code confirmations(int)}.
     *
     * @return {@code k}
     * @throws IllegalArgumentException if it is out of range
     */
    public static int checkConfirmations(int k) {
        if (k < 1 || k > MAX_CONFIRMATIONS) {
            throw new IllegalArgumentException(
                    "confirmations: " + k + " (expected: 1.." + MAX_CONFIRMATIONS + ")");
        }
        return k;
    }

    /** Default confirmations a verifier requires (k). */
    public int confirmations() {
        return confirmations;
    }

    /** Blocks between a name commitment and its earliest reveal. */
    public int nameRevealDelay() {
        return nameRevealDelay;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NetworkParameters
                && Arrays.equals(networkId, ((NetworkParameters) o).networkId);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(networkId);
    }

    @Override
    public String toString() {
        return "NetworkParameters[" + name + ", id=" + networkIdHex().substring(0, 16) + "]";
    }

    /**
     * Builds {@link NetworkParameters}. Setters validate at once; {@link #build()} checks the
     * combination.
     */
    public static final class Builder {
        private String name = "p2pchat";
        private byte[] nonce;
        private long genesisTimeMillis = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
        private long targetBlockIntervalMillis = 2_000;
        private BigInteger initialTarget = Pow.targetForExpectedHashes(1L << 21);
        private BigInteger maxTarget = Pow.targetForExpectedHashes(1L << 8);
        private int retargetWindow = 20;
        private int retargetClamp = 4;
        private int stampBits = 20;
        private int maxBlockBytes = 1 << 20;
        private int maxRecordsPerBlock = 1000;
        private int maxRecordBytes = 8192;
        private int confirmations = 3;
        private int nameRevealDelay = 3;

        private Builder() {
            nonce = new byte[32];
            new SecureRandom().nextBytes(nonce);
        }

        /** A human-readable name, 1 to 64 UTF-8 bytes. */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            int len = name.getBytes(StandardCharsets.UTF_8).length;
            if (len < 1 || len > 64) {
                throw new IllegalArgumentException(
                        "name length: " + len + " bytes (expected: 1..64)");
            }
            this.name = name;
            return this;
        }

        /** The 32-byte nonce that makes the network unique (default: random). */
        public Builder nonce(byte[] nonce) {
            if (nonce.length != 32) {
                throw new IllegalArgumentException(
                        "nonce length: " + nonce.length + " (expected: 32)");
            }
            this.nonce = nonce.clone();
            return this;
        }

        /** The genesis timestamp, Unix milliseconds (default 2026-01-01T00:00:00Z). */
        public Builder genesisTimeMillis(long millis) {
            if (millis < 0) {
                throw new IllegalArgumentException(
                        "genesisTimeMillis: " + millis + " (expected: >= 0)");
            }
            this.genesisTimeMillis = millis;
            return this;
        }

        /** The block interval retargeting aims at, 1 ms to 1 day (default 2 s). */
        public Builder targetBlockInterval(Duration interval) {
            long ms = interval.toMillis();
            if (ms < 1 || ms > Duration.ofDays(1).toMillis()) {
                throw new IllegalArgumentException(
                        "targetBlockInterval: " + interval + " (expected: 1 ms .. 1 day)");
            }
            this.targetBlockIntervalMillis = ms;
            return this;
        }

        /**
         * The initial target and the easiest target allowed; both in 1 .. 2^256-1, initial &lt;=
         * max.
         */
        public Builder targets(BigInteger initial, BigInteger max) {
            checkTarget(initial, "initialTarget");
            checkTarget(max, "maxTarget");
            this.initialTarget = initial;
            this.maxTarget = max;
            return this;
        }

        private static void checkTarget(BigInteger t, String what) {
            if (t.signum() <= 0 || t.bitLength() > 256) {
                throw new IllegalArgumentException(what + ": " + t + " (expected: 1..2^256-1)");
            }
        }

        /** Blocks per retarget window (2..10000) and the clamp factor (2..16). */
        public Builder retarget(int window, int clamp) {
            if (window < 2 || window > 10_000) {
                throw new IllegalArgumentException(
                        "retargetWindow: " + window + " (expected: 2..10000)");
            }
            if (clamp < 2 || clamp > 16) {
                throw new IllegalArgumentException(
                        "retargetClamp: " + clamp + " (expected: 2..16)");
            }
            this.retargetWindow = window;
            this.retargetClamp = clamp;
            return this;
        }

        /** Leading zero bits of registration stamps, 0..40 (default 20). */
        public Builder stampBits(int bits) {
            if (bits < 0 || bits > 40) {
                throw new IllegalArgumentException("stampBits: " + bits + " (expected: 0..40)");
            }
            this.stampBits = bits;
            return this;
        }

        /**
         * Size limits: block bytes (4 KiB .. 16 MiB), transactions per block (1 .. 100000),
         * transaction bytes (2 KiB .. 64 KiB).
         */
        public Builder limits(int maxBlockBytes, int maxRecordsPerBlock, int maxRecordBytes) {
            if (maxBlockBytes < 4096 || maxBlockBytes > (16 << 20)) {
                throw new IllegalArgumentException(
                        "maxBlockBytes: " + maxBlockBytes + " (expected: 4096..16 MiB)");
            }
            if (maxRecordsPerBlock < 1 || maxRecordsPerBlock > 100_000) {
                throw new IllegalArgumentException(
                        "maxRecordsPerBlock: " + maxRecordsPerBlock + " (expected: 1..100000)");
            }
            if (maxRecordBytes < 2048 || maxRecordBytes > 65536) {
                throw new IllegalArgumentException(
                        "maxRecordBytes: " + maxRecordBytes + " (expected: 2048..65536)");
            }
            this.maxBlockBytes = maxBlockBytes;
            this.maxRecordsPerBlock = maxRecordsPerBlock;
            this.maxRecordBytes = maxRecordBytes;
            return this;
        }

        /** Default confirmations (k) a verifier requires, 1..1000 (default 3). */
        public Builder confirmations(int k) {
            this.confirmations = NetworkParameters.checkConfirmations(k);
            return this;
        }

        /** Blocks between a name commitment and its earliest reveal, 1..1000 (default 3). */
        public Builder nameRevealDelay(int blocks) {
            if (blocks < 1 || blocks > 1000) {
                throw new IllegalArgumentException(
                        "nameRevealDelay: " + blocks + " (expected: 1..1000)");
            }
            this.nameRevealDelay = blocks;
            return this;
        }

        /**
         * Test parameters: about 16 hashes per block (the target can never rise above that), 2-bit
         * stamps, a 100 ms interval.
         *
         * <h4>Warning</h4>
         *
         * Blocks cost nothing to make: anybody can rewrite such a ledger. For tests and demos only.
         */
        public Builder trivialDifficulty() {
            BigInteger t = Pow.targetForExpectedHashes(16);
            this.initialTarget = t;
            this.maxTarget = t;
            this.stampBits = 2;
            this.targetBlockIntervalMillis = 100;
            return this;
        }

        /**
         * Builds the parameters.
         *
         * @throws IllegalStateException if the initial target exceeds the maximum, or the record
         *     size limit exceeds the block size limit
         */
        public NetworkParameters build() {
            if (initialTarget.compareTo(maxTarget) > 0) {
                throw new IllegalStateException(
                        "initialTarget exceeds maxTarget (expected: initial <= max)");
            }
            if (maxRecordBytes + BlockHeader.LENGTH > maxBlockBytes) {
                throw new IllegalStateException(
                        "maxRecordBytes "
                                + maxRecordBytes
                                + " does not fit in maxBlockBytes "
                                + maxBlockBytes);
            }
            return new NetworkParameters(this);
        }
    }
}
