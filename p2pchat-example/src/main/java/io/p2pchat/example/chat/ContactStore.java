package io.p2pchat.example.chat;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.p2pchat.identity.PeerId;
import io.p2pchat.identity.StorageRoot;
import io.p2pchat.proto.ContactBook;
import io.p2pchat.proto.ContactRecord;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The chat client's contacts: what it remembers about each identity the person talks with (one
 * {@link ContactRecord} per identity id: the name they know it by, its key when last seen, whether
 * they verified it), kept encrypted and authenticated in one file, {@code HOME/contacts.dat}.
 *
 * <pre>
 * file   = header || nonce (12) || AES-256-GCM(ContactBook) (ciphertext and 16-byte tag)
 * header = 89 50 32 50 43 4f 4e 54 ("\x89P2PCONT") || u32 version = 1
 * key    = HKDF-SHA-256 of the identity file's {@link StorageRoot}, info {@value #KEY_LABEL}
 * aad    = "p2pchat contacts v1" || header
 * </pre>
 *
 * <p>Every change rewrites the whole file atomically ({@link AtomicFiles}: temporary file, fsync,
 * rename, directory fsync; mode {@code 0600}) under a fresh nonce, so the file holds the old
 * contacts or the new ones, never a mix; the records in memory change only once the file is
 * written. A file that does not decrypt (altered, damaged, or another identity's) is refused as a
 * whole: nothing of it is used, and it is left as it is.
 *
 * <p>At most one record holds a given name: the name is how the person addresses the identity, and
 * the client's warnings rest on knowing which identity it meant (docs/trust-model.md).
 *
 * <p>Thread-safe. The key is wiped by {@link #close()}; {@link #toString()} shows no key.
 */
public final class ContactStore implements AutoCloseable {
    /** The HKDF label (info) of the contacts key. */
    public static final String KEY_LABEL = "p2pchat contacts key v1";

    /** The most contacts a store holds; identities beyond are not remembered. */
    public static final int MAX_CONTACTS = 100_000;

    static final int KEY_BYTES = 32;
    static final int MAX_FILE_BYTES = 32 << 20;
    private static final byte[] MAGIC = {(byte) 0x89, 'P', '2', 'P', 'C', 'O', 'N', 'T'};
    private static final int VERSION = 1;
    private static final int HEADER_LENGTH = MAGIC.length + 4;
    private static final int NONCE = 12;
    private static final int TAG = 16;
    private static final byte[] AAD_LABEL =
            "p2pchat contacts v1".getBytes(StandardCharsets.US_ASCII);

    /** A contacts file that cannot be used: not this format, damaged, altered, or not ours. */
    public static final class DamagedException extends IOException {
        private static final long serialVersionUID = 1L;

        DamagedException(String message) {
            super(message);
        }
    }

    /** Writes a whole file; {@link AtomicFiles} outside tests. */
    @FunctionalInterface
    interface FileWriter {
        void write(Path file, byte[] content) throws IOException;
    }

    private final Path file;
    private final byte[] key;
    private final FileWriter writer;
    private final boolean existed;
    private final SecureRandom random = new SecureRandom();
    private final Map<PeerId, ContactRecord> byId = new LinkedHashMap<>();
    private final Map<String, PeerId> byName = new HashMap<>();
    private boolean closed;

    private ContactStore(Path file, byte[] key, FileWriter writer, boolean existed) {
        this.file = file;
        this.key = key;
        this.writer = writer;
        this.existed = existed;
    }

    /**
     * Opens the contacts in {@code file} (none if it does not exist yet; it is written at the first
     * change) under the key derived from {@code root}; the root stays usable.
     *
     * @throws DamagedException if the file is not a contacts file of this version, or does not
     *     decrypt under the key (altered, damaged, or written under another identity)
     * @throws IOException if the file cannot be read
     */
    public static ContactStore open(Path file, StorageRoot root) throws IOException {
        return open(
                file,
                root.deriveKey(KEY_LABEL, KEY_BYTES),
                (f, c) -> AtomicFiles.write(f, c, true));
    }

    /** Opens with a key of the given bytes (owned by the store from now on) and a writer. */
    static ContactStore open(Path file, byte[] key, FileWriter writer) throws IOException {
        Objects.requireNonNull(file, "file");
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException(
                    "key length: " + key.length + " (expected: " + KEY_BYTES + ")");
        }
        byte[] content;
        try {
            content = read(file);
        } catch (IOException | RuntimeException e) {
            Arrays.fill(key, (byte) 0);
            throw e;
        }
        ContactStore store = new ContactStore(file, key, writer, content != null);
        if (content != null) {
            try {
                for (ContactRecord r : store.decrypt(content).getContactsList()) {
                    store.index(r);
                }
            } catch (DamagedException | RuntimeException e) {
                store.close();
                throw e;
            }
        }
        return store;
    }

    private static byte[] read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] content = in.readNBytes(MAX_FILE_BYTES + 1);
            if (content.length > MAX_FILE_BYTES) {
                throw new DamagedException(
                        "contacts file " + file + " is larger than " + MAX_FILE_BYTES + " bytes");
            }
            return content;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Whether the file existed when the store was opened (else the client has no contacts yet). */
    public boolean existed() {
        return existed;
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /** The record of an identity. */
    public synchronized Optional<ContactRecord> get(PeerId identityId) {
        return Optional.ofNullable(byId.get(identityId));
    }

    /** The record that holds {@code name}. */
    public synchronized Optional<ContactRecord> byName(String name) {
        PeerId id = byName.get(name);
        return id == null ? Optional.empty() : Optional.of(byId.get(id));
    }

    /** Every record, in the order they were added. */
    public synchronized List<ContactRecord> all() {
        return new ArrayList<>(byId.values());
    }

    /** Adds or replaces one record: {@link #putAll}. */
    public void put(ContactRecord record) throws IOException {
        putAll(List.of(record));
    }

    /**
     * Adds or replaces records (by identity id) and writes the file, in one atomic write. The
     * records in memory change only once the file is written.
     *
     * @throws IllegalArgumentException if a record's identity id is not 32 bytes, or two records
     *     would hold the same name
     * @throws IllegalStateException if the store would hold more than {@value #MAX_CONTACTS}
     *     records, or is closed
     * @throws IOException if the file cannot be written (nothing changed then)
     */
    public synchronized void putAll(Collection<ContactRecord> records) throws IOException {
        if (closed) {
            throw new IllegalStateException("the contact store is closed");
        }
        Map<PeerId, ContactRecord> next = new LinkedHashMap<>(byId);
        for (ContactRecord r : records) {
            next.put(idOf(r), r);
        }
        if (next.size() > MAX_CONTACTS) {
            throw new IllegalStateException(
                    "contacts: " + next.size() + " (expected: <= " + MAX_CONTACTS + ")");
        }
        Map<String, PeerId> names = new HashMap<>();
        for (ContactRecord r : next.values()) {
            PeerId other = r.getName().isEmpty() ? null : names.put(r.getName(), idOf(r));
            if (other != null) {
                throw new IllegalArgumentException(
                        "two contacts would hold the name '" + r.getName() + "'");
            }
        }
        writer.write(file, encrypt(ContactBook.newBuilder().addAllContacts(next.values()).build()));
        byId.clear();
        byName.clear();
        next.values().forEach(this::index);
    }

    private void index(ContactRecord r) {
        PeerId id = idOf(r);
        byId.put(id, r);
        if (!r.getName().isEmpty()) {
            byName.put(r.getName(), id);
        }
    }

    /** The identity id of a record. */
    public static PeerId idOf(ContactRecord r) {
        if (r.getIdentityId().size() != PeerId.LENGTH) {
            throw new IllegalArgumentException(
                    "identity id: " + r.getIdentityId().size() + " bytes (expected: 32)");
        }
        return PeerId.of(r.getIdentityId().toByteArray());
    }

    /** A 32-byte id field of a record, or empty. */
    public static Optional<PeerId> peerId(ByteString field) {
        return field.size() == PeerId.LENGTH
                ? Optional.of(PeerId.of(field.toByteArray()))
                : Optional.empty();
    }

    /** The bytes of an id for a record field. */
    public static ByteString bytes(PeerId id) {
        return ByteString.copyFrom(id.toBytes());
    }

    private static byte[] header() {
        return ByteBuffer.allocate(HEADER_LENGTH).put(MAGIC).putInt(VERSION).array();
    }

    private static byte[] aad() {
        return ByteBuffer.allocate(AAD_LABEL.length + HEADER_LENGTH)
                .put(AAD_LABEL)
                .put(header())
                .array();
    }

    private byte[] encrypt(ContactBook book) throws IOException {
        byte[] nonce = new byte[NONCE];
        random.nextBytes(nonce);
        byte[] plain = book.toByteArray();
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(
                    Cipher.ENCRYPT_MODE,
                    new SecretKeySpec(key, "AES"),
                    new GCMParameterSpec(TAG * 8, nonce));
            c.updateAAD(aad());
            byte[] ct = c.doFinal(plain);
            return ByteBuffer.allocate(HEADER_LENGTH + NONCE + ct.length)
                    .put(header())
                    .put(nonce)
                    .put(ct)
                    .array();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot encrypt the contacts", e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    private ContactBook decrypt(byte[] content) throws DamagedException {
        if (content.length < HEADER_LENGTH + NONCE + TAG
                || !Arrays.equals(content, 0, HEADER_LENGTH, header(), 0, HEADER_LENGTH)) {
            throw new DamagedException(
                    "contacts file "
                            + file
                            + " is not a contacts file of this version (damaged, or not"
                            + " p2pchat's)");
        }
        byte[] plain = null;
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(
                    Cipher.DECRYPT_MODE,
                    new SecretKeySpec(key, "AES"),
                    new GCMParameterSpec(TAG * 8, content, HEADER_LENGTH, NONCE));
            c.updateAAD(aad());
            plain =
                    c.doFinal(
                            content, HEADER_LENGTH + NONCE, content.length - HEADER_LENGTH - NONCE);
            ContactBook book = ContactBook.parseFrom(plain);
            for (ContactRecord r : book.getContactsList()) {
                idOf(r);
            }
            return book;
        } catch (GeneralSecurityException
                | InvalidProtocolBufferException
                | IllegalArgumentException e) {
            throw new DamagedException(
                    "contacts file "
                            + file
                            + " cannot be decrypted: it was altered or damaged, or belongs to"
                            + " another identity");
        } finally {
            if (plain != null) {
                Arrays.fill(plain, (byte) 0);
            }
        }
    }

    /** Wipes the key; later changes fail. */
    @Override
    public synchronized void close() {
        closed = true;
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public String toString() {
        return "ContactStore[" + file.getFileName() + ", key redacted]";
    }
}
