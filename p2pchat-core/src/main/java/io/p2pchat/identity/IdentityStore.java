package io.p2pchat.identity;

import io.p2pchat.identity.IdentityStoreException.Reason;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves a {@link LocalIdentity} to disk encrypted under a passphrase, and loads it back, with a
 * {@link StorageRoot}: random bytes kept in the same encrypted blob, from which the application
 * derives the keys of the data it keeps at rest, so that the passphrase is stretched once.
 *
 * <h2>Usage</h2>
 *
 * <pre>{@code
 * IdentityStore store = IdentityStore.create();
 * if (!store.exists(file)) {
 *     store.save(LocalIdentity.generate(), file, console.readPassword("New passphrase: "));
 * }
 * StoredIdentity stored = store.open(file, console.readPassword("Passphrase: "));
 * LocalIdentity identity = stored.identity();
 * byte[] cacheKey = stored.storageRoot().deriveKey("myapp cache key v1", 32);
 * stored.destroy();
 * }</pre>
 *
 * {@link #load} returns the identity alone. {@link #changePassphrase} re-encrypts the file under a
 * new passphrase; {@link #save(LocalIdentity, StorageRoot, Path, char[])} saves a new key (after a
 * rotation) with the root of the old one.
 *
 * <p>The store never creates an identity by itself: a missing, unreadable or damaged file is an
 * {@link IdentityStoreException} whose {@link IdentityStoreException#reason() reason} says which,
 * and the application decides what to do.
 *
 * <h2>File format</h2>
 *
 * A text file of two PEM blocks (RFC 7468), the public key first:
 *
 * <pre>
 * -----BEGIN PUBLIC KEY-----              X.509 SubjectPublicKeyInfo of the RSA key
 * MIIBojANBgkqhkiG9w0BAQEFAAOCAY8AMIIBigKCAYEA...
 * -----END PUBLIC KEY-----
 * -----BEGIN ENCRYPTED PRIVATE KEY-----   PKCS#8 EncryptedPrivateKeyInfo (RFC 5958)
 * MIIHbTBXBgkqhkiG9w0BBQ0wSjApBgkrBgEEAdpHBAsw...
 * -----END ENCRYPTED PRIVATE KEY-----
 *
 * EncryptedPrivateKeyInfo
 *   encryptionAlgorithm  PBES2 (RFC 8018)
 *     keyDerivationFunc  scrypt (RFC 7914): salt 16 random bytes, N = 2^17, r = 8, p = 1
 *     encryptionScheme   aes256-GCM, 12-byte random nonce, 16-byte tag (default)
 *                        or aes256-CBC-PAD, 16-byte random IV
 *   encryptedData        the PKCS#8 PrivateKeyInfo, encrypted:
 *
 * PrivateKeyInfo (RFC 5208)
 *   version              0
 *   privateKeyAlgorithm  rsaEncryption
 *   privateKey           RSAPrivateKey, with CRT parameters
 *   attributes [0]       exactly one Attribute:
 *     type               {@value #STORAGE_ROOT_OID}
 *     values             one OCTET STRING of 64 bytes: the storage root (32 random bytes),
 *                        then HKDF-SHA-256(salt none, IKM root, info empty, L 32)
 * </pre>
 *
 * Both blocks come from Bouncy Castle's PKCS#8 builders; nothing here is hand-made cryptography.
 * The check after the root is there for AES-CBC, which does not authenticate: a modified block must
 * not yield another root, nor pass for a file without one. A file with no attributes (written
 * before storage roots existed, or by OpenSSL) loads, and {@link #open} adds a root to it; any
 * other attributes are refused.
 *
 * <p>OpenSSL 3.0 reads neither AES-GCM inside PBES2 nor scrypt above 32 MiB, so {@code openssl pkey
 * -in identity.pem} (which skips the public block) opens only files written with {@link
 * Encryption#AES_256_CBC} and {@code scryptLog2N(14)}; it ignores the attribute, so a key exported
 * that way leaves the storage root behind. A key made elsewhere is imported by writing both blocks,
 * for example {@code openssl pkey -pubout} followed by {@code openssl pkcs8 -topk8 -v2 aes-256-cbc
 * -scrypt}, and opening the result, which gives it a new root.
 *
 * <h2>Security</h2>
 *
 * <ul>
 *   <li><b>Key derivation.</b> scrypt with N = 2^{@value #DEFAULT_SCRYPT_LOG2_N}, r = {@value
 *       #SCRYPT_BLOCK_SIZE}, p = {@value #SCRYPT_PARALLELISM}: 128 MiB of memory per attempt, the
 *       minimum the OWASP Password Storage Cheat Sheet recommends for scrypt. It is memory-hard, so
 *       a guessing attacker pays in memory as well as time. With Bouncy Castle's scrypt a load
 *       takes about 0.5 s of CPU once warm, and 1 to 2 s as the first load of a process (measured
 *       on a 2-vCPU Xeon VM); an identity is loaded once per start, so that is paid rarely. See
 *       {@link Builder#scryptLog2N(int)} to change it.
 *   <li><b>Cipher.</b> AES-256-GCM authenticates the private key, so a modified file fails to
 *       decrypt instead of yielding a damaged key. Because AES-256-CBC has no integrity, and as a
 *       second line for GCM, every load also checks that the decrypted key is a consistent RSA CRT
 *       key ({@code p·q = n}, CRT exponents and coefficient), that it matches the public block, and
 *       that it signs what the public key verifies. This matters: a signature made with a damaged
 *       CRT parameter can reveal the factors of the modulus.
 *   <li><b>Permissions.</b> On POSIX file systems, files are created with mode {@code 0600} from
 *       the start (never readable by others, whatever the umask), and a file that grants anything
 *       to group or others is refused on load ({@link Reason#INSECURE_PERMISSIONS}), as ssh refuses
 *       such keys. Owner and Windows ACLs are not checked.
 *   <li><b>Storage root.</b> It is inside the encryption, so it costs a guessing attacker the same
 *       scrypt as the key; keys derived from it ({@link StorageRoot#deriveKey}) add no cheaper
 *       target. It is checked on load like the key (see the format above).
 *   <li><b>Passphrases</b> are {@code char[]}; every method that takes one overwrites the caller's
 *       array with zeros before returning, whether it succeeds or fails, and wipes the key and root
 *       encodings it owns. This is best effort: the JCE and Bouncy Castle keep transient copies
 *       that cannot be reached. The passphrase is used as its UTF-8 bytes, unnormalized.
 *   <li><b>Unencrypted keys</b> are never written and never loaded, and no empty passphrase is
 *       accepted.
 *   <li><b>Untrusted files.</b> Before running the key derivation, load checks the file size (at
 *       most {@value #MAX_FILE_SIZE_BYTES} bytes) and the scrypt parameters (at most {@value
 *       #MAX_SCRYPT_MEMORY_BYTES} bytes of memory), so a crafted file cannot exhaust memory.
 * </ul>
 *
 * <h2>Failure</h2>
 *
 * Every failure is an {@link IdentityStoreException} with one {@link Reason}. A wrong passphrase
 * and a tampered file are reported alike ({@link Reason#WRONG_PASSPHRASE_OR_TAMPERED}): with
 * authenticated encryption they are indistinguishable by design. Messages never contain the
 * passphrase or key material. Writes are atomic and durable (temporary file, fsync, atomic link or
 * rename, directory fsync): after a failure or a crash the file is either absent or complete.
 *
 * <h2>Threading</h2>
 *
 * Immutable and thread-safe. {@link #save}, {@link #load}, {@link #open} and {@link
 * #changePassphrase} block for the key derivation and the disk; call them off any event loop. A
 * rewrite ({@link #open} adding a root, {@link #changePassphrase}) replaces the file only if it
 * still holds what was read, so that two processes doing it at once do not lose each other's root.
 */
public final class IdentityStore {
    // The facade and the file's lifecycle (save, open, rewrite) live here; the parts are
    // package-private, one concern each: IdentityFileFormat (PEM blocks, PKCS#8), Pbes2Scrypt
    // (scrypt and cipher parameters, their bounds, encryption), StorageRootAttribute,
    // KeyPairChecks, IdentityFileAccess (permissions, size limit, atomic writes) and
    // IdentityFileErrors (one message per Reason).

    private static final Logger log = LoggerFactory.getLogger(IdentityStore.class);

    /** Default scrypt cost: N = 2^17. */
    public static final int DEFAULT_SCRYPT_LOG2_N = 17;

    /** Smallest scrypt cost {@link Builder#scryptLog2N(int)} accepts: N = 2^10, for tests. */
    public static final int MIN_SCRYPT_LOG2_N = 10;

    /** Largest scrypt cost {@link Builder#scryptLog2N(int)} accepts: N = 2^20, 1 GiB. */
    public static final int MAX_SCRYPT_LOG2_N = 20;

    /** The scrypt block size r used for writing. */
    public static final int SCRYPT_BLOCK_SIZE = 8;

    /** The scrypt parallelization p used for writing. */
    public static final int SCRYPT_PARALLELISM = 1;

    /** Length of the random scrypt salt in bytes. */
    public static final int SALT_LENGTH_BYTES = 16;

    /** The most memory ({@code 128·r·N} bytes) a file's scrypt parameters may ask for on load. */
    public static final long MAX_SCRYPT_MEMORY_BYTES = 1L << 30;

    /** The largest identity file load reads. An 8192-bit key takes about 7 KiB. */
    public static final int MAX_FILE_SIZE_BYTES = 64 * 1024;

    /**
     * The object identifier of the PrivateKeyInfo attribute that holds the {@link StorageRoot}:
     * {@code 2.25.} and the UUID b336442e-ddc5-47d8-92eb-18ff837e63cc as an integer (ITU-T X.667,
     * which needs no registration).
     */
    public static final String STORAGE_ROOT_OID = "2.25.238213578192844030751555396944502088652";

    /** The cipher inside PBES2. */
    public enum Encryption {
        /** AES-256-GCM: authenticated. The default. */
        AES_256_GCM(NISTObjectIdentifiers.id_aes256_GCM),
        /**
         * AES-256-CBC with PKCS#7 padding: readable by OpenSSL at a scrypt cost of 2^14 or less.
         * Not authenticated by itself; the key checks on load detect damage.
         */
        AES_256_CBC(NISTObjectIdentifiers.id_aes256_CBC);

        private final ASN1ObjectIdentifier oid;

        Encryption(ASN1ObjectIdentifier oid) {
            this.oid = oid;
        }

        /** The cipher's object identifier in the PBES2 parameters. */
        ASN1ObjectIdentifier oid() {
            return oid;
        }
    }

    static final String PUBLIC_KEY_TYPE = IdentityFileFormat.PUBLIC_KEY_TYPE;
    static final String ENCRYPTED_KEY_TYPE = IdentityFileFormat.ENCRYPTED_KEY_TYPE;

    private final int scryptLog2N;
    private final Encryption encryption;
    private final SecureRandom random = new SecureRandom();

    private IdentityStore(Builder builder) {
        this.scryptLog2N = builder.scryptLog2N;
        this.encryption = builder.encryption;
    }

    /** A store with the defaults: scrypt N = 2^17, r = 8, p = 1, and AES-256-GCM. */
    public static IdentityStore create() {
        return builder().build();
    }

    /** Starts a builder with the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Whether something exists at {@code file} (a symbolic link is not followed). It does not check
     * that the file can be loaded; use it to choose between {@link #load} and creating a new
     * identity, never to decide after a failed load.
     */
    public boolean exists(Path file) {
        return Files.exists(Objects.requireNonNull(file, "file"), LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * Encrypts {@code identity} and a new random {@link StorageRoot} under {@code passphrase} and
     * writes them to a new file.
     *
     * <p>The file is created with mode {@code 0600} on POSIX file systems. An existing file is
     * never replaced: to change a passphrase, use {@link #changePassphrase}.
     *
     * @param passphrase overwritten with zeros before this method returns, whatever the outcome
     * @throws IllegalArgumentException if {@code passphrase} is empty
     * @throws IdentityStoreException with {@link Reason#ALREADY_EXISTS} if something exists at
     *     {@code file}, or {@link Reason#IO_ERROR} if it cannot be written (then nothing is left at
     *     {@code file}, unless only the final directory fsync failed)
     */
    public void save(LocalIdentity identity, Path file, char[] passphrase)
            throws IdentityStoreException {
        StorageRoot root = StorageRoot.generate();
        try {
            save(identity, root, file, passphrase);
        } finally {
            root.destroy();
        }
    }

    /**
     * Encrypts {@code identity} and the given storage root under {@code passphrase} and writes them
     * to a new file: after a key rotation, the new key is saved with the old file's root, so that
     * the data kept at rest stays readable.
     *
     * @param root stays usable; the caller still owns it
     * @param passphrase overwritten with zeros before this method returns, whatever the outcome
     * @throws IllegalArgumentException if {@code passphrase} is empty
     * @throws IllegalStateException if {@code root} was destroyed
     * @throws IdentityStoreException as {@link #save(LocalIdentity, Path, char[])}
     */
    public void save(LocalIdentity identity, StorageRoot root, Path file, char[] passphrase)
            throws IdentityStoreException {
        Objects.requireNonNull(passphrase, "passphrase");
        try {
            Objects.requireNonNull(identity, "identity");
            Objects.requireNonNull(root, "root");
            saveKeys(
                    (RSAPrivateKey) identity.privateKey(),
                    identity.publicKey(),
                    root,
                    file,
                    passphrase);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
        log.debug("Saved identity {} to {}", identity.peerId().shortId(), file);
    }

    /**
     * Saves a key pair without {@link LocalIdentity}'s size checks; tests write bad files, and
     * files without a storage root ({@code root} null) as earlier versions wrote them.
     */
    void saveKeys(
            RSAPrivateKey privateKey,
            RSAPublicKey publicKey,
            @Nullable StorageRoot root,
            Path file,
            char[] passphrase)
            throws IdentityStoreException {
        Objects.requireNonNull(passphrase, "passphrase");
        try {
            Objects.requireNonNull(privateKey, "privateKey");
            Objects.requireNonNull(publicKey, "publicKey");
            Objects.requireNonNull(file, "file");
            checkPassphrase(passphrase);
            if (exists(file)) {
                // Checked before the key derivation so that the common mistake fails fast.
                throw IdentityFileErrors.alreadyExists(file);
            }
            byte[] content =
                    IdentityFileFormat.encode(
                            privateKey, publicKey, root, passphrase, settings(), random);
            IdentityFileAccess.writeNew(file, content);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
    }

    /**
     * Reads, decrypts and checks the identity in {@code file}.
     *
     * @param passphrase overwritten with zeros before this method returns, whatever the outcome
     * @throws IllegalArgumentException if {@code passphrase} is empty
     * @throws IdentityStoreException with the {@link Reason} of the failure: {@code NOT_FOUND},
     *     {@code IO_ERROR}, {@code INSECURE_PERMISSIONS}, {@code CORRUPT}, {@code UNSUPPORTED},
     *     {@code WRONG_PASSPHRASE_OR_TAMPERED} or {@code KEY_TOO_SMALL}
     */
    public LocalIdentity load(Path file, char[] passphrase) throws IdentityStoreException {
        Objects.requireNonNull(passphrase, "passphrase");
        try {
            Objects.requireNonNull(file, "file");
            checkPassphrase(passphrase);
            Opened opened = decryptFile(file, passphrase);
            opened.wipeRoot();
            log.debug("Loaded identity {} from {}", opened.identity.peerId().shortId(), file);
            return opened.identity;
        } finally {
            Arrays.fill(passphrase, '\0');
        }
    }

    /**
     * Reads, decrypts and checks the identity in {@code file}, with its {@link StorageRoot}.
     *
     * <p>A file without a root (written before roots existed, or made with OpenSSL) gets one: a new
     * random root is generated and the file rewritten atomically under the same passphrase, scrypt
     * cost and cipher (with a new salt and nonce), before this method returns; {@link
     * StoredIdentity#rootCreated()} then says so. If another process rewrites the file meanwhile,
     * its version wins and is read again.
     *
     * @param passphrase overwritten with zeros before this method returns, whatever the outcome
     * @throws IllegalArgumentException if {@code passphrase} is empty
     * @throws IdentityStoreException as {@link #load}, and {@link Reason#IO_ERROR} if a root is
     *     needed and the file cannot be rewritten (it is left as it was)
     */
    public StoredIdentity open(Path file, char[] passphrase) throws IdentityStoreException {
        Objects.requireNonNull(passphrase, "passphrase");
        try {
            Objects.requireNonNull(file, "file");
            checkPassphrase(passphrase);
            for (int attempt = 1; ; attempt++) {
                Opened opened = decryptFile(file, passphrase);
                if (opened.root != null) {
                    log.debug(
                            "Opened identity {} from {}", opened.identity.peerId().shortId(), file);
                    return new StoredIdentity(
                            opened.identity, StorageRoot.wrap(opened.root), false);
                }
                StorageRoot root = StorageRoot.generate();
                boolean replaced = false;
                try {
                    replaced =
                            rewrite(
                                    file,
                                    opened,
                                    root,
                                    passphrase,
                                    opened.settings,
                                    "add a storage root to");
                } finally {
                    if (!replaced) {
                        root.destroy();
                    }
                }
                if (replaced) {
                    log.info("Added a storage root to the identity file {}", file);
                    return new StoredIdentity(opened.identity, root, true);
                }
                if (attempt == 2) {
                    throw IdentityFileErrors.changedMeanwhile(
                            file, "a storage root was being added");
                }
                // Another process rewrote the file since it was read: read its version.
            }
        } finally {
            Arrays.fill(passphrase, '\0');
        }
    }

    /**
     * Re-encrypts the identity file under a new passphrase, atomically: afterwards only {@code
     * newPassphrase} opens it. The key and the {@link StorageRoot} stay the same (a file without a
     * root gets one, as {@link #open} does); the file is written with this store's scrypt cost and
     * cipher.
     *
     * @param oldPassphrase overwritten with zeros before this method returns, whatever the outcome
     * @param newPassphrase overwritten with zeros before this method returns, whatever the outcome
     * @throws IllegalArgumentException if either passphrase is empty
     * @throws IdentityStoreException as {@link #load} for {@code oldPassphrase}, and {@link
     *     Reason#IO_ERROR} if the file cannot be rewritten or changed while this ran; the file then
     *     still opens with {@code oldPassphrase}
     */
    public void changePassphrase(Path file, char[] oldPassphrase, char[] newPassphrase)
            throws IdentityStoreException {
        Objects.requireNonNull(oldPassphrase, "oldPassphrase");
        Objects.requireNonNull(newPassphrase, "newPassphrase");
        try {
            Objects.requireNonNull(file, "file");
            checkPassphrase(oldPassphrase);
            checkPassphrase(newPassphrase);
            Opened opened = decryptFile(file, oldPassphrase);
            StorageRoot root =
                    opened.root != null ? StorageRoot.wrap(opened.root) : StorageRoot.generate();
            try {
                if (!rewrite(file, opened, root, newPassphrase, settings(), "re-encrypt")) {
                    throw IdentityFileErrors.changedMeanwhile(
                            file, "its passphrase was being changed");
                }
            } finally {
                root.destroy();
            }
            log.info("Changed the passphrase of the identity file {}", file);
        } finally {
            Arrays.fill(oldPassphrase, '\0');
            Arrays.fill(newPassphrase, '\0');
        }
    }

    /**
     * Writes what {@code opened} holds, with {@code root}, over {@code file} if the file still
     * holds what was read; false if it changed meanwhile.
     */
    private boolean rewrite(
            Path file,
            Opened opened,
            StorageRoot root,
            char[] passphrase,
            Pbes2Scrypt.Settings settings,
            String what)
            throws IdentityStoreException {
        byte[] content =
                IdentityFileFormat.encode(
                        opened.privateKey, opened.publicKey, root, passphrase, settings, random);
        return IdentityFileAccess.replaceIfUnchanged(file, opened.content, content, what);
    }

    /** Reads, decrypts and checks a file; the caller owns the root in the result. */
    private static Opened decryptFile(Path file, char[] passphrase) throws IdentityStoreException {
        byte[] content = IdentityFileAccess.readBytes(file);
        IdentityFileFormat.StoredFile stored = IdentityFileFormat.parse(content, file);
        Pbes2Scrypt.Settings settings =
                Pbes2Scrypt.checkEncryptionParameters(stored.encrypted, file);
        PrivateKeyInfo plain = Pbes2Scrypt.decrypt(stored.encrypted, passphrase, file);
        RSAPrivateCrtKey privateKey = IdentityFileFormat.rsaKey(plain, file);
        byte[] root = StorageRootAttribute.read(plain, file);
        try {
            KeyPairChecks.checkKeySize(privateKey.getModulus().bitLength(), file);
            KeyPairChecks.checkKeyPair(privateKey, stored.publicKey, file);
        } catch (IdentityStoreException e) {
            if (root != null) {
                Arrays.fill(root, (byte) 0);
            }
            throw e;
        }
        return new Opened(content, stored.publicKey, privateKey, root, settings);
    }

    /**
     * The id of the identity in {@code file}, read from its public block without the passphrase,
     * for prompts such as "passphrase for 3f2a…". The public block is not authenticated until
     * {@link #load} succeeds.
     *
     * @throws IdentityStoreException as {@link #load} does, for the reasons that come before
     *     decryption
     */
    public PeerId readPeerId(Path file) throws IdentityStoreException {
        Objects.requireNonNull(file, "file");
        return PeerId.ofPublicKey(IdentityFileAccess.read(file).publicKey);
    }

    // --- writing ---

    /** This store's settings for writing. */
    private Pbes2Scrypt.Settings settings() {
        return new Pbes2Scrypt.Settings(
                1 << scryptLog2N, SCRYPT_BLOCK_SIZE, SCRYPT_PARALLELISM, encryption);
    }

    static String pem(String type, byte[] der) {
        return IdentityFileFormat.pem(type, der);
    }

    /** A decrypted and checked file: what it held, and its exact bytes (to replace it safely). */
    private static final class Opened {
        final byte[] content;
        final RSAPublicKey publicKey;
        final RSAPrivateCrtKey privateKey;
        final LocalIdentity identity;
        final byte @Nullable [] root;
        final Pbes2Scrypt.Settings settings;

        Opened(
                byte[] content,
                RSAPublicKey publicKey,
                RSAPrivateCrtKey privateKey,
                byte @Nullable [] root,
                Pbes2Scrypt.Settings settings) {
            this.content = content;
            this.publicKey = publicKey;
            this.privateKey = privateKey;
            this.identity = LocalIdentity.of(new KeyPair(publicKey, privateKey));
            this.root = root;
            this.settings = settings;
        }

        void wipeRoot() {
            if (root != null) {
                Arrays.fill(root, (byte) 0);
            }
        }
    }

    // --- helpers ---

    private static void checkPassphrase(char[] passphrase) {
        if (passphrase.length == 0) {
            throw new IllegalArgumentException(
                    "passphrase length: 0 (expected: at least 1 character; identity files are"
                            + " never stored unencrypted)");
        }
    }

    @Override
    public String toString() {
        return "IdentityStore[scrypt N=2^"
                + scryptLog2N
                + " r="
                + SCRYPT_BLOCK_SIZE
                + " p="
                + SCRYPT_PARALLELISM
                + ", "
                + encryption
                + "]";
    }

    /**
     * Builds an {@link IdentityStore}. Setters validate at once.
     *
     * <p>Not thread-safe.
     */
    public static final class Builder {
        private int scryptLog2N = DEFAULT_SCRYPT_LOG2_N;
        private Encryption encryption = Encryption.AES_256_GCM;

        private Builder() {}

        /**
         * Sets the scrypt cost N = 2^{@code log2N} for files this store writes (r = 8, p = 1).
         * Loading always uses the cost written in the file, up to {@link #MAX_SCRYPT_MEMORY_BYTES}.
         *
         * <p><b>Warning:</b> each step down halves the work of guessing the passphrase. Values
         * below {@value #DEFAULT_SCRYPT_LOG2_N} are for tests and for machines that cannot spare
         * 128 MiB; {@value #MIN_SCRYPT_LOG2_N} is meant only for tests.
         *
         * @throws IllegalArgumentException if {@code log2N} is outside {@value
         *     #MIN_SCRYPT_LOG2_N}..{@value #MAX_SCRYPT_LOG2_N}
         */
        public Builder scryptLog2N(int log2N) {
            if (log2N < MIN_SCRYPT_LOG2_N || log2N > MAX_SCRYPT_LOG2_N) {
                throw new IllegalArgumentException(
                        "scryptLog2N: "
                                + log2N
                                + " (expected: "
                                + MIN_SCRYPT_LOG2_N
                                + ".."
                                + MAX_SCRYPT_LOG2_N
                                + ")");
            }
            this.scryptLog2N = log2N;
            return this;
        }

        /**
         * Sets the cipher for files this store writes; {@link Encryption#AES_256_GCM} by default.
         * Loading accepts both.
         */
        public Builder encryption(Encryption encryption) {
            this.encryption = Objects.requireNonNull(encryption, "encryption");
            return this;
        }

        /** Creates the store. */
        public IdentityStore build() {
            return new IdentityStore(this);
        }
    }
}
