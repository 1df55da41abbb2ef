package io.p2pchat.ledger.testing;

import io.p2pchat.ledger.chain.Consensus;
import io.p2pchat.ledger.model.BlockHash;
import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.Merkle;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.Pow;
import io.p2pchat.ledger.store.BlockData;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds block trees for tests, as Bitcoin's feature_block.py: named blocks, explicit parents,
 * valid by default (right height, target, timestamp, Merkle root, solved proof of work) and
 * deliberately invalid on request.
 */
public final class ChainBuilder {
    private final NetworkParameters params;
    private final Map<String, BlockData> blocks = new HashMap<>();
    private final Map<BlockHash, BlockHeader> headers = new HashMap<>();

    public ChainBuilder(NetworkParameters params) {
        this.params = params;
        BlockData genesis = new BlockData(params.genesis(), List.of());
        blocks.put("genesis", genesis);
        headers.put(genesis.hash(), genesis.header());
    }

    public NetworkParameters params() {
        return params;
    }

    /** A built block by name. */
    public BlockData get(String name) {
        BlockData b = blocks.get(name);
        if (b == null) {
            throw new IllegalArgumentException("no block " + name);
        }
        return b;
    }

    public BlockHeader header(String name) {
        return get(name).header();
    }

    /** Serialized Protobuf Block of a built block. */
    public byte[] bytes(String name) {
        return get(name).toProto().toByteArray();
    }

    /** Starts a block. */
    public Spec block(String name) {
        return new Spec(name);
    }

    /** Builds {@code count} valid empty blocks named prefix1..prefixN on {@code parent}. */
    public List<BlockData> chain(String prefix, String parent, int count) {
        List<BlockData> out = new ArrayList<>();
        String p = parent;
        for (int i = 1; i <= count; i++) {
            out.add(block(prefix + i).on(p).build());
            p = prefix + i;
        }
        return out;
    }

    /** Builds blocks as {@link #chain} with a given spacing in milliseconds. */
    public List<BlockData> chainSpaced(
            String prefix, String parent, int count, long spacingMillis) {
        List<BlockData> out = new ArrayList<>();
        String p = parent;
        for (int i = 1; i <= count; i++) {
            long ts = header(p).timestampMillis() + spacingMillis;
            out.add(block(prefix + i).on(p).timestamp(ts).build());
            p = prefix + i;
        }
        return out;
    }

    /** The expected target of a child of {@code parent}. */
    public BigInteger expectedTarget(String parent) {
        return Consensus.expectedTarget(header(parent), headers::get, params);
    }

    /** The median time past at {@code parent}. */
    public long medianTimePast(String parent) {
        return Consensus.medianTimePast(header(parent), headers::get);
    }

    /** A block under construction. */
    public final class Spec {
        private final String name;
        private String parent = "genesis";
        private final List<byte[]> txs = new ArrayList<>();
        private Long timestamp;
        private BigInteger target;
        private Long height;
        private byte[] merkleRoot;
        private byte[] networkId;
        private Integer version;
        private boolean unsolved;
        private BlockHash previous;

        private Spec(String name) {
            this.name = name;
        }

        public Spec on(String parentName) {
            this.parent = parentName;
            return this;
        }

        public Spec tx(LedgerTransaction... t) {
            for (LedgerTransaction x : t) {
                txs.add(x.bytes());
            }
            return this;
        }

        public Spec txs(List<LedgerTransaction> t) {
            for (LedgerTransaction x : t) {
                txs.add(x.bytes());
            }
            return this;
        }

        public Spec rawTx(byte[]... t) {
            txs.addAll(Arrays.asList(t));
            return this;
        }

        public Spec timestamp(long millis) {
            this.timestamp = millis;
            return this;
        }

        public Spec target(BigInteger t) {
            this.target = t;
            return this;
        }

        public Spec height(long h) {
            this.height = h;
            return this;
        }

        public Spec merkleRoot(byte[] root) {
            this.merkleRoot = root;
            return this;
        }

        public Spec networkId(byte[] id) {
            this.networkId = id;
            return this;
        }

        public Spec version(int v) {
            this.version = v;
            return this;
        }

        /** The hash will be above the target. */
        public Spec unsolved() {
            this.unsolved = true;
            return this;
        }

        /** Links to a hash that is not a built block. */
        public Spec previous(BlockHash hash) {
            this.previous = hash;
            return this;
        }

        public BlockData build() {
            BlockHeader p = header(parent);
            BigInteger t =
                    target != null ? target : Consensus.expectedTarget(p, headers::get, params);
            long ts =
                    timestamp != null
                            ? timestamp
                            : p.timestampMillis() + params.targetBlockInterval().toMillis();
            List<byte[]> leaves = new ArrayList<>();
            for (byte[] x : txs) {
                leaves.add(LedgerHashes.leafHash(x));
            }
            byte[] root = merkleRoot != null ? merkleRoot : Merkle.root(leaves);
            BlockHeader h = null;
            for (long nonce = 0; nonce < 10_000_000; nonce++) {
                BlockHeader candidate =
                        BlockHeader.of(
                                version != null ? version : BlockHeader.VERSION,
                                height != null ? height : p.height() + 1,
                                previous != null ? previous : p.hash(),
                                root,
                                ts,
                                t,
                                nonce,
                                networkId != null ? networkId : params.networkId());
                boolean meets = Pow.meets(candidate.hash().toBytes(), t);
                if (meets != unsolved) {
                    h = candidate;
                    break;
                }
            }
            if (h == null) {
                throw new IllegalStateException("could not solve " + name);
            }
            BlockData b = new BlockData(h, txs);
            blocks.put(name, b);
            headers.put(b.hash(), h);
            return b;
        }
    }
}
