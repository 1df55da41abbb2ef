package io.p2pchat.ledger.chain;

import io.p2pchat.ledger.model.BlockHeader;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.Merkle;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.model.TxId;
import io.p2pchat.ledger.store.BlockData;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The ledger's validation rules as a pure component: each method either returns or throws an {@link
 * InvalidBlockException} naming the first rule broken, in the order {@code docs/ledger.md}
 * ("Validation rules") lists them. It keeps no state besides the injected clock and the signature
 * cache; the caller supplies the chain context and the identity state.
 *
 * <p>It is the one list of rules: a block from the network ({@code BlockIndex.acceptHeader}), a
 * block read from the store at open ({@code ChainLoader.load}) and the audit ({@code
 * Ledger.verifyFully}) go through the same header methods, {@link #checkHeaderContextFree} and
 * {@link #checkHeaderContextual}.
 *
 * <p>Thread-safe.
 */
public final class BlockValidator {
    private final NetworkParameters params;
    private final Clock clock;
    private final SignatureCache sigs;

    /** A validator for {@code params}, reading "now" from {@code clock}. */
    public BlockValidator(NetworkParameters params, Clock clock, SignatureCache sigs) {
        this.params = params;
        this.clock = clock;
        this.sigs = sigs;
    }

    /** The network parameters. */
    public NetworkParameters params() {
        return params;
    }

    /** The signature cache. */
    public SignatureCache signatures() {
        return sigs;
    }

    /**
     * The header rules that need no chain (§6.1 H2-H5): version ({@code BAD_VERSION}), network id
     * ({@code WRONG_NETWORK}), target within (0, maxTarget] ({@code BAD_DIFFICULTY}), hash at most
     * the target ({@code HIGH_HASH}).
     */
    public void checkHeaderContextFree(BlockHeader h) throws InvalidBlockException {
        if (h.version() != BlockHeader.VERSION) {
            // A header from the network was decoded, which checks this already; a stored one was
            // not (RecordFormat wraps it as it is).
            throw new InvalidBlockException(
                    RejectReason.BAD_VERSION,
                    "block "
                            + h.hash().shortHex()
                            + ": header version "
                            + Integer.toUnsignedString(h.version()));
        }
        if (!h.isOnNetwork(params.networkId())) {
            throw new InvalidBlockException(
                    RejectReason.WRONG_NETWORK,
                    "block " + h.hash().shortHex() + " of another network");
        }
        BigInteger target = h.target();
        if (target.signum() <= 0 || target.compareTo(params.maxTarget()) > 0) {
            throw new InvalidBlockException(
                    RejectReason.BAD_DIFFICULTY,
                    "block " + h.hash().shortHex() + ": target above the network's maximum");
        }
        if (!h.meetsTarget()) {
            throw new InvalidBlockException(
                    RejectReason.HIGH_HASH, "block " + h.hash().shortHex() + ": hash above target");
        }
    }

    /**
     * The header rules that need the parent, which must be in {@code chain}: height ({@code
     * BAD_HEIGHT}), target by the retarget rule ({@code BAD_DIFFICULTY}), timestamp after the
     * median time past ({@code TIME_TOO_OLD}), the time-warp rule at window starts ({@code
     * TIME_WARP}), and last, not more than 2 h ahead of the clock ({@code TIME_TOO_NEW},
     * temporary).
     *
     * @throws InvalidBlockException {@code UNKNOWN_PARENT} if the parent is not in {@code chain}
     */
    public void checkHeaderContextual(BlockHeader h, HeaderSource chain)
            throws InvalidBlockException {
        String what = "block " + h.hash().shortHex();
        BlockHeader parent = chain.header(h.previous());
        if (parent == null) {
            throw new InvalidBlockException(
                    RejectReason.UNKNOWN_PARENT,
                    what + ": parent " + h.previous().shortHex() + " unknown");
        }
        if (h.height() != parent.height() + 1) {
            throw new InvalidBlockException(
                    RejectReason.BAD_HEIGHT,
                    what + ": height " + h.height() + " (expected: " + (parent.height() + 1) + ")");
        }
        BigInteger expected = Consensus.expectedTarget(parent, chain, params);
        if (!h.target().equals(expected)) {
            throw new InvalidBlockException(
                    RejectReason.BAD_DIFFICULTY,
                    what
                            + ": target "
                            + h.target().toString(16)
                            + " (expected: "
                            + expected.toString(16)
                            + ")");
        }
        long mtp = Consensus.medianTimePast(parent, chain);
        if (h.timestampMillis() <= mtp) {
            throw new InvalidBlockException(
                    RejectReason.TIME_TOO_OLD,
                    what
                            + ": timestamp "
                            + h.timestampMillis()
                            + " not after the median time past "
                            + mtp);
        }
        if (h.height() % params.retargetWindow() == 0
                && h.timestampMillis()
                        < parent.timestampMillis() - NetworkParameters.MAX_TIME_WARP.toMillis()) {
            throw new InvalidBlockException(
                    RejectReason.TIME_WARP,
                    what
                            + ": timestamp "
                            + h.timestampMillis()
                            + " more than 10 min before its parent's "
                            + parent.timestampMillis());
        }
        long limit = clock.millis() + NetworkParameters.MAX_FUTURE_DRIFT.toMillis();
        if (h.timestampMillis() > limit) {
            throw new InvalidBlockException(
                    RejectReason.TIME_TOO_NEW,
                    what
                            + ": timestamp "
                            + h.timestampMillis()
                            + " more than 2 h ahead of the local clock");
        }
    }

    /** Both header checks. */
    public void checkHeader(BlockHeader h, HeaderSource chain) throws InvalidBlockException {
        checkHeaderContextFree(h);
        checkHeaderContextual(h, chain);
    }

    /**
     * The body rules that need no identity state: transaction count ({@code TOO_MANY_RECORDS}),
     * transaction and block sizes ({@code RECORD_TOO_LARGE}, {@code BLOCK_TOO_LARGE}), the Merkle
     * root ({@code BAD_RECORD_ROOT}), no duplicate ({@code DUPLICATE_RECORD}), then each
     * transaction's structure ({@link Tx#decode}) and stateless rules ({@link
     * TxRules#checkStateless}), in block order.
     *
     * @return the decoded transactions
     */
    public List<Tx> checkBody(BlockData block) throws InvalidBlockException {
        BlockHeader h = block.header();
        String what = "block " + h.hash().shortHex();
        List<byte[]> txs = block.transactions();
        if (txs.size() > params.maxRecordsPerBlock()) {
            throw new InvalidBlockException(
                    RejectReason.TOO_MANY_RECORDS,
                    what
                            + ": "
                            + txs.size()
                            + " transactions (limit "
                            + params.maxRecordsPerBlock()
                            + ")");
        }
        for (int i = 0; i < txs.size(); i++) {
            if (txs.get(i).length > params.maxRecordBytes()) {
                throw new InvalidBlockException(
                        RejectReason.RECORD_TOO_LARGE,
                        what
                                + ": transaction "
                                + i
                                + " of "
                                + txs.get(i).length
                                + " bytes (limit "
                                + params.maxRecordBytes()
                                + ")");
            }
        }
        if (block.size() > params.maxBlockBytes()) {
            throw new InvalidBlockException(
                    RejectReason.BLOCK_TOO_LARGE,
                    what + ": " + block.size() + " bytes (limit " + params.maxBlockBytes() + ")");
        }
        List<byte[]> leaves = block.leafHashes();
        if (!MessageDigest.isEqual(Merkle.root(leaves), h.merkleRoot())) {
            throw new InvalidBlockException(
                    RejectReason.BAD_RECORD_ROOT,
                    what + ": Merkle root does not match the transactions");
        }
        Set<TxId> seen = new HashSet<>();
        List<TxId> ids = new ArrayList<>(leaves.size());
        for (int i = 0; i < leaves.size(); i++) {
            TxId id = TxId.of(leaves.get(i));
            if (!seen.add(id)) {
                throw new InvalidBlockException(
                        RejectReason.DUPLICATE_RECORD,
                        what + ": transaction " + id.shortHex() + " appears twice");
            }
            ids.add(id);
        }
        List<Tx> decoded = new ArrayList<>(txs.size());
        for (int i = 0; i < txs.size(); i++) {
            Tx tx = Tx.decode(txs.get(i), ids.get(i), params);
            TxRules.checkStateless(tx, params, sigs);
            decoded.add(tx);
        }
        return decoded;
    }

    /**
     * Applies the transactions in order to {@code view}, checking the state-dependent rules.
     *
     * @return the block's changes, layered over {@code view}
     */
    public StateDelta connect(BlockHeader h, List<Tx> txs, StateView view, boolean verifySignatures)
            throws InvalidBlockException {
        StateDelta delta = new StateDelta(view);
        for (int i = 0; i < txs.size(); i++) {
            TxRules.apply(
                    txs.get(i),
                    delta,
                    h.height(),
                    h.timestampMillis(),
                    h.hash(),
                    i,
                    params,
                    sigs,
                    verifySignatures);
        }
        return delta;
    }

    /**
     * Decodes the transactions of a block that was fully validated before (when replaying the
     * stored best chain): no signature is verified.
     */
    public List<Tx> decodeTrusted(BlockData block, List<byte[]> leaves)
            throws InvalidBlockException {
        int n = block.transactions().size();
        Tx[] out = new Tx[n];
        if (n >= BlockData.PARALLEL_THRESHOLD) {
            InvalidBlockException[] failure = new InvalidBlockException[1];
            java.util.stream.IntStream.range(0, n)
                    .parallel()
                    .forEach(
                            i -> {
                                try {
                                    out[i] =
                                            Tx.decodeTrusted(
                                                    block.transactions().get(i),
                                                    TxId.of(leaves.get(i)),
                                                    params);
                                } catch (InvalidBlockException e) {
                                    synchronized (failure) {
                                        failure[0] = e;
                                    }
                                }
                            });
            if (failure[0] != null) {
                throw failure[0];
            }
        } else {
            for (int i = 0; i < n; i++) {
                out[i] =
                        Tx.decodeTrusted(
                                block.transactions().get(i), TxId.of(leaves.get(i)), params);
            }
        }
        return java.util.Arrays.asList(out);
    }
}
