package io.p2pchat.ledger.testing;

import com.google.protobuf.ByteString;
import io.p2pchat.crypto.RsaPss;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.IdentityTransactions;
import io.p2pchat.ledger.chain.Tx;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.LedgerTransaction;
import io.p2pchat.ledger.model.NameCommitment;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.proto.EndpointAddress;
import io.p2pchat.proto.RegisterOp;
import io.p2pchat.proto.TxBody;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/** Makes valid and deliberately invalid identity transactions for tests. */
public final class TxFactory {
    /** Far-future expiry for addresses. */
    public static final long FAR_FUTURE = 4_102_444_800_000L; // 2100-01-01

    private final NetworkParameters params;
    private final IdentityTransactions txs;
    private final SecureRandom random = new SecureRandom();

    public TxFactory(NetworkParameters params) {
        this.params = params;
        this.txs = IdentityTransactions.forNetwork(params);
    }

    public IdentityTransactions txs() {
        return txs;
    }

    public static RegisteredAddress address(String host, int port) {
        return new RegisteredAddress(host, port, FAR_FUTURE);
    }

    public LedgerTransaction register(LocalIdentity id) {
        return txs.register(id, List.of(address("127.0.0.1", 7000)), null);
    }

    public LedgerTransaction register(LocalIdentity id, String host) {
        return txs.register(id, List.of(address(host, 7000)), null);
    }

    public LedgerTransaction register(LocalIdentity id, NameCommitment name) {
        return txs.register(id, List.of(address("127.0.0.1", 7000)), name);
    }

    public LedgerTransaction update(
            LocalIdentity key, PeerId id, long seq, RegisteredAddress... addresses) {
        return txs.updateAddresses(key, id, seq, List.of(addresses));
    }

    public LedgerTransaction rotate(
            LocalIdentity oldKey, LocalIdentity newKey, PeerId id, long seq) {
        return txs.rotateKey(oldKey, newKey, id, seq);
    }

    public LedgerTransaction revoke(LocalIdentity key, PeerId id, long seq) {
        return txs.revoke(key, id, seq);
    }

    /** A body builder with this network's id, for hand-made transactions. */
    public TxBody.Builder body(PeerId identityId, long seq) {
        return TxBody.newBuilder()
                .setNetworkId(ByteString.copyFrom(params.networkId()))
                .setIdentityId(ByteString.copyFrom(identityId.toBytes()))
                .setSequence(seq);
    }

    /** A registration body for a raw SPKI, with a valid stamp. */
    public byte[] registerBody(PeerId identityId, byte[] spki, long seq) {
        TxBody.Builder b =
                body(identityId, seq)
                        .setRegister(
                                RegisterOp.newBuilder()
                                        .setPublicKey(ByteString.copyFrom(spki))
                                        .addAddresses(
                                                EndpointAddress.newBuilder()
                                                        .setHost("127.0.0.1")
                                                        .setPort(7000)
                                                        .setExpiresAt(FAR_FUTURE)));
        return stamp(b, true);
    }

    /** Grinds the stamp nonce until the stamp is good ({@code good}) or bad. */
    public byte[] stamp(TxBody.Builder b, boolean good) {
        for (long n = 0; n < 1_000_000; n++) {
            b.getRegisterBuilder().setStampNonce(n);
            byte[] bytes = b.build().toByteArray();
            boolean ok =
                    LedgerHashes.leadingZeroBits(LedgerHashes.stampHash(bytes))
                            >= params.stampBits();
            if (ok == good) {
                return bytes;
            }
        }
        throw new IllegalStateException("no stamp");
    }

    /** Signs a body with each private key, in order. */
    public LedgerTransaction sign(byte[] body, PrivateKey... keys) {
        List<ByteString> sigs = new ArrayList<>();
        try {
            for (PrivateKey k : keys) {
                sigs.add(
                        ByteString.copyFrom(
                                RsaPss.sign(k, LedgerHashes.txSigningInput(body), random)));
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return LedgerTransaction.of(Tx.encodeEnvelope(body, sigs));
    }

    /** Signs a body with identities. */
    public LedgerTransaction sign(byte[] body, LocalIdentity... ids) {
        PrivateKey[] keys = new PrivateKey[ids.length];
        for (int i = 0; i < ids.length; i++) {
            keys[i] = ids[i].privateKey();
        }
        return sign(body, keys);
    }

    /** An envelope with arbitrary signatures. */
    public static LedgerTransaction envelope(byte[] body, List<byte[]> sigs) {
        List<ByteString> s = new ArrayList<>();
        for (byte[] x : sigs) {
            s.add(ByteString.copyFrom(x));
        }
        return LedgerTransaction.of(Tx.encodeEnvelope(body, s));
    }
}
