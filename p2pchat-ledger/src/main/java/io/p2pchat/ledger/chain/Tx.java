package io.p2pchat.ledger.chain;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.p2pchat.identity.PeerId;
import io.p2pchat.ledger.model.InvalidBlockException;
import io.p2pchat.ledger.model.LedgerHashes;
import io.p2pchat.ledger.model.Names;
import io.p2pchat.ledger.model.NetworkParameters;
import io.p2pchat.ledger.model.RegisteredAddress;
import io.p2pchat.ledger.model.RejectReason;
import io.p2pchat.ledger.model.TxId;
import io.p2pchat.proto.EndpointAddress;
import io.p2pchat.proto.TxBody;
import io.p2pchat.proto.TxEnvelope;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A decoded ledger transaction: its exact envelope bytes, id, signed body and signatures, checked
 * for structure but not yet for signatures or against the ledger state ({@link TxRules}).
 *
 * <p>Immutable and thread-safe.
 */
public final class Tx {
    /** The operation of a transaction. */
    public enum Kind {
        REGISTER,
        UPDATE_ADDRESSES,
        ROTATE_KEY,
        REVOKE,
        COMMIT_NAME,
        REVEAL_NAME
    }

    private final byte[] envelope;
    private final TxId id;
    private final byte[] body;
    private final List<byte[]> signatures;
    private final TxBody parsed;
    private final Kind kind;
    private final PeerId identityId;
    private final List<RegisteredAddress> addresses;

    private Tx(
            byte[] envelope,
            TxId id,
            byte[] body,
            List<byte[]> signatures,
            TxBody parsed,
            Kind kind,
            PeerId identityId,
            List<RegisteredAddress> addresses) {
        this.envelope = envelope;
        this.id = id;
        this.body = body;
        this.signatures = signatures;
        this.parsed = parsed;
        this.kind = kind;
        this.identityId = identityId;
        this.addresses = addresses;
    }

    /**
     * Decodes and checks the structure of a transaction (docs/ledger.md, "Transactions"): size,
     * canonical envelope and body, network id, field lengths, syntax of addresses and names.
     *
     * @param envelope the exact envelope bytes (not copied: the caller gives up ownership)
     * @throws InvalidBlockException {@code RECORD_TOO_LARGE}, {@code MALFORMED_RECORD}, {@code
     *     WRONG_NETWORK}, {@code BAD_ADDRESS}, {@code BAD_NAME}
     */
    public static Tx decode(byte[] envelope, NetworkParameters params)
            throws InvalidBlockException {
        return decode(envelope, TxId.of(LedgerHashes.leafHash(envelope)), params);
    }

    /** As {@link #decode(byte[], NetworkParameters)} with the id already computed. */
    public static Tx decode(byte[] envelope, TxId id, NetworkParameters params)
            throws InvalidBlockException {
        if (envelope.length > params.maxRecordBytes()) {
            throw new InvalidBlockException(
                    RejectReason.RECORD_TOO_LARGE,
                    "transaction "
                            + id.shortHex()
                            + " of "
                            + envelope.length
                            + " bytes (limit "
                            + params.maxRecordBytes()
                            + ")");
        }
        TxEnvelope env;
        TxBody body;
        try {
            env = TxEnvelope.parseFrom(envelope);
            if (!Arrays.equals(
                    encodeEnvelope(env.getBody().toByteArray(), env.getSignaturesList()),
                    envelope)) {
                throw malformed(id, "envelope is not canonically encoded");
            }
            body = TxBody.parseFrom(env.getBody());
            if (!body.getUnknownFields().asMap().isEmpty()
                    || !Arrays.equals(body.toByteArray(), env.getBody().toByteArray())) {
                throw malformed(id, "body is not canonically encoded");
            }
        } catch (InvalidProtocolBufferException e) {
            throw malformed(id, "undecodable");
        }
        if (!params.isNetwork(body.getNetworkId().toByteArray())) {
            throw new InvalidBlockException(
                    RejectReason.WRONG_NETWORK,
                    "transaction " + id.shortHex() + " of another network");
        }
        if (body.getIdentityId().size() != PeerId.LENGTH) {
            throw malformed(id, "identity_id of " + body.getIdentityId().size() + " bytes");
        }
        for (ByteString sig : env.getSignaturesList()) {
            if (sig.isEmpty() || sig.size() > 512) {
                throw malformed(id, "signature of " + sig.size() + " bytes");
            }
        }
        Kind kind;
        List<RegisteredAddress> addresses = List.of();
        switch (body.getOpCase()) {
            case REGISTER:
                kind = Kind.REGISTER;
                addresses = addresses(id, body.getRegister().getAddressesList());
                int c = body.getRegister().getNameCommitment().size();
                if (c != 0 && c != 32) {
                    throw new InvalidBlockException(
                            RejectReason.BAD_NAME,
                            "transaction "
                                    + id.shortHex()
                                    + ": name commitment of "
                                    + c
                                    + " bytes");
                }
                if (body.getRegister().getPublicKey().isEmpty()) {
                    throw malformed(id, "registration without a public key");
                }
                break;
            case UPDATE_ADDRESSES:
                kind = Kind.UPDATE_ADDRESSES;
                addresses = addresses(id, body.getUpdateAddresses().getAddressesList());
                break;
            case ROTATE_KEY:
                kind = Kind.ROTATE_KEY;
                if (body.getRotateKey().getNewPublicKey().isEmpty()) {
                    throw malformed(id, "rotation without a new public key");
                }
                break;
            case REVOKE:
                kind = Kind.REVOKE;
                break;
            case COMMIT_NAME:
                kind = Kind.COMMIT_NAME;
                if (body.getCommitName().getCommitment().size() != 32) {
                    throw new InvalidBlockException(
                            RejectReason.BAD_NAME,
                            "transaction "
                                    + id.shortHex()
                                    + ": name commitment of "
                                    + body.getCommitName().getCommitment().size()
                                    + " bytes");
                }
                break;
            case REVEAL_NAME:
                kind = Kind.REVEAL_NAME;
                String problem = Names.problem(body.getRevealName().getName());
                if (problem != null) {
                    throw new InvalidBlockException(
                            RejectReason.BAD_NAME, "transaction " + id.shortHex() + ": " + problem);
                }
                if (body.getRevealName().getSalt().size() != 32) {
                    throw new InvalidBlockException(
                            RejectReason.BAD_NAME,
                            "transaction "
                                    + id.shortHex()
                                    + ": salt of "
                                    + body.getRevealName().getSalt().size()
                                    + " bytes");
                }
                break;
            default:
                throw malformed(id, "no operation");
        }
        return new Tx(
                envelope,
                id,
                env.getBody().toByteArray(),
                toArrays(env.getSignaturesList()),
                body,
                kind,
                PeerId.of(body.getIdentityId().toByteArray()),
                addresses);
    }

    /**
     * Decodes a transaction of a block that was fully validated before (replaying the stored best
     * chain, whose Merkle roots were just verified): no canonical-encoding, size or syntax checks,
     * and no signatures kept. Never use it for data from the network.
     *
     * @throws InvalidBlockException {@code MALFORMED_RECORD} if it does not even decode
     */
    public static Tx decodeTrusted(byte[] envelope, TxId id, NetworkParameters params)
            throws InvalidBlockException {
        try {
            TxEnvelope env = TxEnvelope.parseFrom(envelope);
            TxBody body = TxBody.parseFrom(env.getBody());
            Kind kind;
            List<RegisteredAddress> addresses = List.of();
            switch (body.getOpCase()) {
                case REGISTER:
                    kind = Kind.REGISTER;
                    addresses = trustedAddresses(body.getRegister().getAddressesList());
                    break;
                case UPDATE_ADDRESSES:
                    kind = Kind.UPDATE_ADDRESSES;
                    addresses = trustedAddresses(body.getUpdateAddresses().getAddressesList());
                    break;
                case ROTATE_KEY:
                    kind = Kind.ROTATE_KEY;
                    break;
                case REVOKE:
                    kind = Kind.REVOKE;
                    break;
                case COMMIT_NAME:
                    kind = Kind.COMMIT_NAME;
                    break;
                case REVEAL_NAME:
                    kind = Kind.REVEAL_NAME;
                    break;
                default:
                    throw malformed(id, "no operation");
            }
            return new Tx(
                    envelope,
                    id,
                    new byte[0],
                    List.of(),
                    body,
                    kind,
                    PeerId.of(body.getIdentityId().toByteArray()),
                    addresses);
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            throw malformed(id, "undecodable stored transaction");
        }
    }

    private static List<RegisteredAddress> trustedAddresses(List<EndpointAddress> list) {
        if (list.isEmpty()) {
            return List.of();
        }
        List<RegisteredAddress> out = new ArrayList<>(list.size());
        for (EndpointAddress a : list) {
            out.add(new RegisteredAddress(a.getHost(), a.getPort(), a.getExpiresAt()));
        }
        return List.copyOf(out);
    }

    private static List<byte[]> toArrays(List<ByteString> list) {
        List<byte[]> out = new ArrayList<>(list.size());
        for (ByteString b : list) {
            out.add(b.toByteArray());
        }
        return List.copyOf(out);
    }

    private static List<RegisteredAddress> addresses(TxId id, List<EndpointAddress> list)
            throws InvalidBlockException {
        if (list.size() > NetworkParameters.MAX_ADDRESSES) {
            throw new InvalidBlockException(
                    RejectReason.BAD_ADDRESS,
                    "transaction "
                            + id.shortHex()
                            + ": "
                            + list.size()
                            + " addresses (limit "
                            + NetworkParameters.MAX_ADDRESSES
                            + ")");
        }
        List<RegisteredAddress> out = new ArrayList<>(list.size());
        Set<String> seen = new HashSet<>();
        for (EndpointAddress a : list) {
            long port = Integer.toUnsignedLong(a.getPort());
            long expiry = a.getExpiresAt();
            String problem =
                    port > 65535
                            ? "port " + port
                            : expiry < 0
                                    ? "expiry out of range"
                                    : RegisteredAddress.problem(a.getHost(), (int) port, expiry);
            if (problem != null) {
                throw new InvalidBlockException(
                        RejectReason.BAD_ADDRESS, "transaction " + id.shortHex() + ": " + problem);
            }
            RegisteredAddress ra = new RegisteredAddress(a.getHost(), (int) port, expiry);
            if (!seen.add(ra.normalizedHost() + "|" + ra.port())) {
                throw new InvalidBlockException(
                        RejectReason.BAD_ADDRESS,
                        "transaction " + id.shortHex() + ": duplicate address " + ra.hostAndPort());
            }
            out.add(ra);
        }
        return List.copyOf(out);
    }

    private static InvalidBlockException malformed(TxId id, String why) {
        return new InvalidBlockException(
                RejectReason.MALFORMED_RECORD, "transaction " + id.shortHex() + ": " + why);
    }

    /**
     * The canonical envelope encoding: {@code 0x0A varint(len) body} (omitted when the body is
     * empty), then {@code 0x12 varint(len) signature} per signature, in order.
     */
    public static byte[] encodeEnvelope(byte[] body, List<ByteString> signatures) {
        int size = 0;
        if (body.length > 0) {
            size += 1 + CodedOutputStream.computeUInt32SizeNoTag(body.length) + body.length;
        }
        for (ByteString s : signatures) {
            size += 1 + CodedOutputStream.computeUInt32SizeNoTag(s.size()) + s.size();
        }
        byte[] out = new byte[size];
        CodedOutputStream cos = CodedOutputStream.newInstance(out);
        try {
            if (body.length > 0) {
                cos.writeByteArray(1, body);
            }
            for (ByteString s : signatures) {
                cos.writeBytes(2, s);
            }
            cos.checkNoSpaceLeft();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** The exact envelope bytes. Callers must not modify them. */
    public byte[] envelope() {
        return envelope;
    }

    /** The id (Merkle leaf hash). */
    public TxId id() {
        return id;
    }

    /**
     * The exact signed body bytes (empty for transactions decoded with {@link #decodeTrusted}).
     * Callers must not modify them.
     */
    public byte[] body() {
        return body;
    }

    /** The signatures, in envelope order. */
    public List<byte[]> signatures() {
        return signatures;
    }

    /** The decoded body. */
    public TxBody parsed() {
        return parsed;
    }

    /** The operation. */
    public Kind kind() {
        return kind;
    }

    /** The identity the transaction concerns. */
    public PeerId identityId() {
        return identityId;
    }

    /** The sequence number. */
    public long sequence() {
        return parsed.getSequence();
    }

    /** The addresses of a registration or address update; empty otherwise. */
    public List<RegisteredAddress> addresses() {
        return addresses;
    }

    /** The key a registration registers or a rotation installs; null for other operations. */
    public byte[] installedKey() {
        switch (kind) {
            case REGISTER:
                return parsed.getRegister().getPublicKey().toByteArray();
            case ROTATE_KEY:
                return parsed.getRotateKey().getNewPublicKey().toByteArray();
            default:
                return null;
        }
    }

    @Override
    public String toString() {
        return "Tx["
                + kind
                + " "
                + identityId.shortId()
                + "#"
                + sequence()
                + " "
                + id.shortHex()
                + "]";
    }
}
