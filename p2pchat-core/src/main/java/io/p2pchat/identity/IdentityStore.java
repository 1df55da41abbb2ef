package io.p2pchat.identity;

import io.p2pchat.crypto.RsaPss;
import io.p2pchat.identity.IdentityStoreException.Reason;
import io.p2pchat.util.AtomicFiles;
import io.p2pchat.util.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.GCMParameters;
import org.bouncycastle.asn1.misc.MiscObjectIdentifiers;
import org.bouncycastle.asn1.misc.ScryptParams;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.EncryptionScheme;
import org.bouncycastle.asn1.pkcs.KeyDerivationFunc;
import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.util.ScryptConfig;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.InputDecryptorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfoBuilder;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEInputDecryptorProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
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
    }

    static final String PUBLIC_KEY_TYPE = "PUBLIC KEY";
    static final String ENCRYPTED_KEY_TYPE = "ENCRYPTED PRIVATE KEY";

    private static final ASN1ObjectIdentifier STORAGE_ROOT =
            new ASN1ObjectIdentifier(STORAGE_ROOT_OID);
    private static final int ROOT_VALUE_LENGTH = 2 * StorageRoot.LENGTH_BYTES;
    private static final int MIN_SALT_LENGTH = 8;
    private static final int MAX_SALT_LENGTH = 64;
    private static final int MAX_SCRYPT_PARALLELISM = 16;
    private static final int GCM_NONCE_LENGTH = 12;
    private static final int GCM_TAG_LENGTH = 16;
    private static final int CBC_IV_LENGTH = 16;
    private static final int AES_256_KEY_LENGTH = 32;
    private static final byte[] CHECK_MESSAGE =
            "p2pchat identity file pairwise consistency check".getBytes(StandardCharsets.US_ASCII);

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
                throw alreadyExists(file);
            }
            byte[] content = encode(privateKey, publicKey, root, passphrase, settings());
            try {
                AtomicFiles.write(file, content, false);
            } catch (FileAlreadyExistsException e) {
                throw alreadyExists(file);
            } catch (NoSuchFileException e) {
                throw new IdentityStoreException(
                        Reason.IO_ERROR,
                        "cannot save identity to " + file + ": the directory does not exist",
                        e);
            } catch (IOException e) {
                throw new IdentityStoreException(
                        Reason.IO_ERROR, "cannot save identity to " + file + ": " + e, e);
            }
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
                    throw changedMeanwhile(file, "a storage root was being added");
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
                    throw changedMeanwhile(file, "its passphrase was being changed");
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
            Settings settings,
            String what)
            throws IdentityStoreException {
        byte[] content = encode(opened.privateKey, opened.publicKey, root, passphrase, settings);
        try {
            return AtomicFiles.replaceIfUnchanged(file, opened.content, content);
        } catch (IOException e) {
            throw new IdentityStoreException(
                    Reason.IO_ERROR, "cannot " + what + " " + file + ": " + e, e);
        }
    }

    private static IdentityStoreException changedMeanwhile(Path file, String activity) {
        return new IdentityStoreException(
                Reason.IO_ERROR,
                file
                        + " was changed by another program while "
                        + activity
                        + "; nothing was written, try again");
    }

    /** Reads, decrypts and checks a file; the caller owns the root in the result. */
    private static Opened decryptFile(Path file, char[] passphrase) throws IdentityStoreException {
        byte[] content = readBytes(file);
        StoredFile stored = parse(content, file);
        Settings settings = checkEncryptionParameters(stored.encrypted, file);
        PrivateKeyInfo plain = decrypt(stored.encrypted, passphrase, file);
        RSAPrivateCrtKey privateKey = rsaKey(plain, file);
        byte[] root = storageRoot(plain, file);
        try {
            checkKeySize(privateKey.getModulus().bitLength(), file);
            checkKeyPair(privateKey, stored.publicKey, file);
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
        return PeerId.ofPublicKey(read(file).publicKey);
    }

    // --- writing ---

    /** This store's settings for writing. */
    private Settings settings() {
        return new Settings(1 << scryptLog2N, SCRYPT_BLOCK_SIZE, SCRYPT_PARALLELISM, encryption);
    }

    private byte[] encode(
            RSAPrivateKey privateKey,
            RSAPublicKey publicKey,
            @Nullable StorageRoot root,
            char[] passphrase,
            Settings settings) {
        ScryptConfig kdf =
                new ScryptConfig.Builder(settings.n, settings.r, settings.p)
                        .withSaltLength(SALT_LENGTH_BYTES)
                        .build();
        byte[] key = privateKey.getEncoded();
        byte[] rootBytes = root == null ? null : root.attributeValue();
        byte[] encrypted;
        try {
            PrivateKeyInfo jdk = PrivateKeyInfo.getInstance(key);
            // PrivateKeyInfo.attributes [0]: the storage root and its check, one OCTET STRING.
            ASN1Set attributes =
                    rootBytes == null
                            ? null
                            : new DERSet(
                                    new Attribute(
                                            STORAGE_ROOT,
                                            new DERSet(new DEROctetString(rootBytes))));
            PrivateKeyInfo plaintext =
                    new PrivateKeyInfo(
                            jdk.getPrivateKeyAlgorithm(), jdk.parsePrivateKey(), attributes);
            OutputEncryptor encryptor =
                    new JcePKCSPBEOutputEncryptorBuilder(kdf, settings.encryption.oid)
                            .setProvider(Bc.PROVIDER)
                            .setRandom(random)
                            .build(passphrase);
            encrypted =
                    new PKCS8EncryptedPrivateKeyInfoBuilder(plaintext)
                            .build(encryptor)
                            .getEncoded();
        } catch (OperatorCreationException | IOException e) {
            throw new IllegalStateException(
                    "PBES2 scrypt " + settings.encryption + " unavailable", e);
        } finally {
            Arrays.fill(key, (byte) 0);
            if (rootBytes != null) {
                Arrays.fill(rootBytes, (byte) 0);
            }
        }
        String pem =
                pem(PUBLIC_KEY_TYPE, publicKey.getEncoded()) + pem(ENCRYPTED_KEY_TYPE, encrypted);
        return pem.getBytes(StandardCharsets.US_ASCII);
    }

    static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    // --- reading ---

    /** The parsed, not yet decrypted, content of an identity file. */
    private static final class StoredFile {
        final RSAPublicKey publicKey;
        final EncryptedPrivateKeyInfo encrypted;

        StoredFile(RSAPublicKey publicKey, EncryptedPrivateKeyInfo encrypted) {
            this.publicKey = publicKey;
            this.encrypted = encrypted;
        }
    }

    /** The scrypt cost and cipher a file is written with. */
    private static final class Settings {
        final int n;
        final int r;
        final int p;
        final Encryption encryption;

        Settings(int n, int r, int p, Encryption encryption) {
            this.n = n;
            this.r = r;
            this.p = p;
            this.encryption = encryption;
        }
    }

    /** A decrypted and checked file: what it held, and its exact bytes (to replace it safely). */
    private static final class Opened {
        final byte[] content;
        final RSAPublicKey publicKey;
        final RSAPrivateCrtKey privateKey;
        final LocalIdentity identity;
        final byte @Nullable [] root;
        final Settings settings;

        Opened(
                byte[] content,
                RSAPublicKey publicKey,
                RSAPrivateCrtKey privateKey,
                byte @Nullable [] root,
                Settings settings) {
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

    private static StoredFile read(Path file) throws IdentityStoreException {
        return parse(readBytes(file), file);
    }

    private static StoredFile parse(byte[] bytes, Path file) throws IdentityStoreException {
        List<PemObject> blocks = parsePem(bytes, file);
        byte[] spki = null;
        byte[] epki = null;
        for (PemObject block : blocks) {
            String type = block.getType();
            if (!block.getHeaders().isEmpty()) {
                throw corrupt(file, "the " + type + " block has PEM headers", null);
            }
            if (type.equals(PUBLIC_KEY_TYPE) && spki == null) {
                spki = block.getContent();
            } else if (type.equals(ENCRYPTED_KEY_TYPE) && epki == null) {
                epki = block.getContent();
            } else if (type.endsWith("PRIVATE KEY") && !type.equals(ENCRYPTED_KEY_TYPE)) {
                throw new IdentityStoreException(
                        Reason.UNSUPPORTED,
                        file
                                + " holds an unencrypted or legacy-encrypted private key ("
                                + type
                                + "); p2pchat only loads PKCS#8 ENCRYPTED PRIVATE KEY files");
            } else {
                throw corrupt(file, "unexpected or repeated PEM block " + type, null);
            }
        }
        if (epki == null) {
            throw corrupt(file, "no " + ENCRYPTED_KEY_TYPE + " block", null);
        }
        if (spki == null) {
            throw corrupt(file, "no " + PUBLIC_KEY_TYPE + " block", null);
        }
        return new StoredFile(parsePublicKey(spki, file), parseEncrypted(epki, file));
    }

    /** Checks type, size and permissions, then reads at most the size limit. */
    private static byte[] readBytes(Path file) throws IdentityStoreException {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                throw new IdentityStoreException(Reason.IO_ERROR, file + " is not a regular file");
            }
            PosixFileAttributeView posix =
                    Files.getFileAttributeView(file, PosixFileAttributeView.class);
            if (posix != null) {
                Set<PosixFilePermission> permissions = posix.readAttributes().permissions();
                if (permissions.stream().anyMatch(PrivateFiles.GROUP_OR_OTHERS::contains)) {
                    throw new IdentityStoreException(
                            Reason.INSECURE_PERMISSIONS,
                            "permissions "
                                    + PosixFilePermissions.toString(permissions)
                                    + " on "
                                    + file
                                    + " are too open: an identity file must be accessible by its"
                                    + " owner only (chmod 600 "
                                    + file
                                    + ")");
                }
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(file)) {
                bytes = in.readNBytes(MAX_FILE_SIZE_BYTES + 1);
            }
            if (bytes.length > MAX_FILE_SIZE_BYTES) {
                throw corrupt(
                        file,
                        "larger than " + MAX_FILE_SIZE_BYTES + " bytes; not an identity file",
                        null);
            }
            return bytes;
        } catch (NoSuchFileException e) {
            throw new IdentityStoreException(Reason.NOT_FOUND, "no identity file at " + file, e);
        } catch (IdentityStoreException e) {
            throw e;
        } catch (IOException e) {
            throw new IdentityStoreException(
                    Reason.IO_ERROR, "cannot read identity file " + file + ": " + e, e);
        }
    }

    private static List<PemObject> parsePem(byte[] bytes, Path file) throws IdentityStoreException {
        String text;
        try {
            text =
                    StandardCharsets.US_ASCII
                            .newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes))
                            .toString();
        } catch (CharacterCodingException e) {
            throw corrupt(file, "not ASCII text, so not PEM", e);
        }
        List<PemObject> blocks = new ArrayList<>(2);
        try (PemReader reader = new PemReader(new StringReader(text))) {
            for (PemObject block = reader.readPemObject();
                    block != null;
                    block = reader.readPemObject()) {
                blocks.add(block);
            }
        } catch (IOException | RuntimeException e) {
            // Truncation (no END line) and bad Base64 land here.
            throw corrupt(file, "malformed or truncated PEM", e);
        }
        if (blocks.isEmpty()) {
            throw corrupt(file, "no PEM block; the file is empty or truncated", null);
        }
        return blocks;
    }

    private static RSAPublicKey parsePublicKey(byte[] spki, Path file)
            throws IdentityStoreException {
        SubjectPublicKeyInfo info;
        try {
            info = SubjectPublicKeyInfo.getInstance(ASN1Primitive.fromByteArray(spki));
        } catch (IOException | RuntimeException e) {
            throw corrupt(file, "the " + PUBLIC_KEY_TYPE + " block is not valid DER", e);
        }
        if (!PKCSObjectIdentifiers.rsaEncryption.equals(info.getAlgorithm().getAlgorithm())) {
            throw new IdentityStoreException(
                    Reason.UNSUPPORTED,
                    file
                            + " holds a "
                            + info.getAlgorithm().getAlgorithm()
                            + " public key (expected: RSA, 1.2.840.113549.1.1.1)");
        }
        try {
            return (RSAPublicKey) rsaKeyFactory().generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw corrupt(file, "the " + PUBLIC_KEY_TYPE + " block is not a valid RSA key", e);
        }
    }

    private static EncryptedPrivateKeyInfo parseEncrypted(byte[] epki, Path file)
            throws IdentityStoreException {
        try {
            return EncryptedPrivateKeyInfo.getInstance(ASN1Primitive.fromByteArray(epki));
        } catch (IOException | RuntimeException e) {
            throw corrupt(file, "the " + ENCRYPTED_KEY_TYPE + " block is not valid DER", e);
        }
    }

    /**
     * Accepts exactly what this store writes: PBES2 with scrypt within the memory limit, and
     * AES-256-GCM or AES-256-CBC. Runs before the key derivation so that a crafted file cannot ask
     * for gigabytes.
     */
    private static Settings checkEncryptionParameters(EncryptedPrivateKeyInfo info, Path file)
            throws IdentityStoreException {
        ASN1ObjectIdentifier scheme = info.getEncryptionAlgorithm().getAlgorithm();
        if (!PKCSObjectIdentifiers.id_PBES2.equals(scheme)) {
            throw unsupported(file, "encryption scheme " + scheme + " (expected: PBES2)");
        }
        PBES2Parameters pbes2;
        ScryptParams scrypt;
        try {
            pbes2 = PBES2Parameters.getInstance(info.getEncryptionAlgorithm().getParameters());
            KeyDerivationFunc kdf = pbes2.getKeyDerivationFunc();
            if (!MiscObjectIdentifiers.id_scrypt.equals(kdf.getAlgorithm())) {
                throw unsupported(
                        file, "key derivation " + kdf.getAlgorithm() + " (expected: scrypt)");
            }
            scrypt = ScryptParams.getInstance(kdf.getParameters());
        } catch (IdentityStoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw corrupt(file, "malformed PBES2 parameters", e);
        }
        checkScrypt(scrypt, file);
        Encryption cipher = checkCipher(pbes2.getEncryptionScheme(), file);
        // Within int range: checkScrypt bounds 128·r·N by 2^30 and p by 16.
        return new Settings(
                scrypt.getCostParameter().intValueExact(),
                scrypt.getBlockSize().intValueExact(),
                scrypt.getParallelizationParameter().intValueExact(),
                cipher);
    }

    private static void checkScrypt(ScryptParams scrypt, Path file) throws IdentityStoreException {
        int saltLength = scrypt.getSalt().length;
        if (saltLength < MIN_SALT_LENGTH || saltLength > MAX_SALT_LENGTH) {
            throw corrupt(
                    file,
                    "scrypt salt length "
                            + saltLength
                            + " (expected: "
                            + MIN_SALT_LENGTH
                            + ".."
                            + MAX_SALT_LENGTH
                            + ")",
                    null);
        }
        BigInteger n = scrypt.getCostParameter();
        BigInteger r = scrypt.getBlockSize();
        BigInteger p = scrypt.getParallelizationParameter();
        if (n.compareTo(BigInteger.TWO) < 0
                || n.bitCount() != 1
                || r.signum() <= 0
                || p.signum() <= 0) {
            throw corrupt(file, "invalid scrypt parameters N=" + n + " r=" + r + " p=" + p, null);
        }
        BigInteger memory = BigInteger.valueOf(128).multiply(r).multiply(n);
        if (memory.compareTo(BigInteger.valueOf(MAX_SCRYPT_MEMORY_BYTES)) > 0
                || p.compareTo(BigInteger.valueOf(MAX_SCRYPT_PARALLELISM)) > 0) {
            throw unsupported(
                    file,
                    "scrypt cost N="
                            + n
                            + " r="
                            + r
                            + " p="
                            + p
                            + " (expected: 128·r·N <= "
                            + MAX_SCRYPT_MEMORY_BYTES
                            + " bytes, p <= "
                            + MAX_SCRYPT_PARALLELISM
                            + ")");
        }
        BigInteger keyLength = scrypt.getKeyLength();
        if (keyLength != null && !keyLength.equals(BigInteger.valueOf(AES_256_KEY_LENGTH))) {
            throw corrupt(
                    file,
                    "scrypt key length " + keyLength + " (expected: " + AES_256_KEY_LENGTH + ")",
                    null);
        }
    }

    private static Encryption checkCipher(EncryptionScheme scheme, Path file)
            throws IdentityStoreException {
        ASN1ObjectIdentifier cipher = scheme.getAlgorithm();
        try {
            if (NISTObjectIdentifiers.id_aes256_GCM.equals(cipher)) {
                GCMParameters gcm = GCMParameters.getInstance(scheme.getParameters());
                if (gcm.getNonce().length != GCM_NONCE_LENGTH
                        || gcm.getIcvLen() != GCM_TAG_LENGTH) {
                    throw unsupported(
                            file,
                            "AES-GCM nonce "
                                    + gcm.getNonce().length
                                    + " bytes, tag "
                                    + gcm.getIcvLen()
                                    + " bytes (expected: "
                                    + GCM_NONCE_LENGTH
                                    + " and "
                                    + GCM_TAG_LENGTH
                                    + ")");
                }
                return Encryption.AES_256_GCM;
            } else if (NISTObjectIdentifiers.id_aes256_CBC.equals(cipher)) {
                int ivLength =
                        ASN1OctetString.getInstance(scheme.getParameters()).getOctets().length;
                if (ivLength != CBC_IV_LENGTH) {
                    throw corrupt(
                            file,
                            "AES-CBC IV length " + ivLength + " (expected: " + CBC_IV_LENGTH + ")",
                            null);
                }
                return Encryption.AES_256_CBC;
            } else {
                throw unsupported(
                        file,
                        "cipher "
                                + cipher
                                + " (expected: aes256-GCM "
                                + NISTObjectIdentifiers.id_aes256_GCM
                                + " or aes256-CBC "
                                + NISTObjectIdentifiers.id_aes256_CBC
                                + ")");
            }
        } catch (IdentityStoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw corrupt(file, "malformed cipher parameters", e);
        }
    }

    /**
     * Decrypts the PKCS#8 PrivateKeyInfo. Every failure from here on is reported without its cause:
     * it concerns the plaintext.
     */
    private static PrivateKeyInfo decrypt(
            EncryptedPrivateKeyInfo info, char[] passphrase, Path file)
            throws IdentityStoreException {
        InputDecryptorProvider decryptor =
                new JcePKCSPBEInputDecryptorProviderBuilder()
                        .setProvider(Bc.PROVIDER)
                        .build(passphrase);
        try {
            return new PKCS8EncryptedPrivateKeyInfo(info).decryptPrivateKeyInfo(decryptor);
        } catch (PKCSException | RuntimeException e) {
            // AES-GCM tag failure, CBC padding failure, or plaintext that is not PKCS#8.
            throw wrongPassphraseOrTampered(file, "decryption failed");
        }
    }

    /** Decodes the RSA private key, without the attributes (the JDK need not understand them). */
    private static RSAPrivateCrtKey rsaKey(PrivateKeyInfo plain, Path file)
            throws IdentityStoreException {
        if (!PKCSObjectIdentifiers.rsaEncryption.equals(
                plain.getPrivateKeyAlgorithm().getAlgorithm())) {
            throw unsupported(file, "the private key is not an RSA key");
        }
        byte[] der = null;
        PrivateKey key;
        try {
            der =
                    new PrivateKeyInfo(plain.getPrivateKeyAlgorithm(), plain.parsePrivateKey())
                            .getEncoded();
            key = rsaKeyFactory().generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw wrongPassphraseOrTampered(file, "the decrypted key does not decode");
        } finally {
            if (der != null) {
                Arrays.fill(der, (byte) 0);
            }
        }
        if (!(key instanceof RSAPrivateCrtKey)) {
            throw unsupported(file, "the RSA private key has no CRT parameters");
        }
        return (RSAPrivateCrtKey) key;
    }

    /**
     * The storage root in the PrivateKeyInfo's attributes, or null if the file has no attributes
     * (written before storage roots existed, or by another tool). Anything else than exactly our
     * attribute, well formed and passing its check, is refused as tampering: with AES-CBC the
     * attributes are not authenticated, and a modified block must not pass for a file without a
     * root (which {@link #open} would then give a new one) or for another root.
     */
    private static byte @Nullable [] storageRoot(PrivateKeyInfo plain, Path file)
            throws IdentityStoreException {
        ASN1Set attributes = plain.getAttributes();
        if (attributes == null) {
            return null;
        }
        byte[] value = null;
        try {
            Attribute attribute = Attribute.getInstance(attributes.getObjectAt(0));
            ASN1Set values = attribute.getAttrValues();
            if (attributes.size() != 1
                    || !STORAGE_ROOT.equals(attribute.getAttrType())
                    || values.size() != 1) {
                throw new IllegalArgumentException("not one storage root attribute");
            }
            value = ASN1OctetString.getInstance(values.getObjectAt(0)).getOctets();
            if (value.length != ROOT_VALUE_LENGTH) {
                throw new IllegalArgumentException("length");
            }
            byte[] root = Arrays.copyOf(value, StorageRoot.LENGTH_BYTES);
            byte[] check = StorageRoot.checkValue(root);
            boolean intact =
                    MessageDigest.isEqual(
                            check,
                            Arrays.copyOfRange(value, StorageRoot.LENGTH_BYTES, value.length));
            Arrays.fill(check, (byte) 0);
            if (!intact) {
                Arrays.fill(root, (byte) 0);
                throw new IllegalArgumentException("check");
            }
            return root;
        } catch (RuntimeException e) {
            // No cause: the plaintext's parser messages stay out of the exception.
            throw wrongPassphraseOrTampered(
                    file, "the storage root stored with the key is malformed or damaged");
        } finally {
            if (value != null) {
                Arrays.fill(value, (byte) 0);
            }
        }
    }

    private static void checkKeySize(int bits, Path file) throws IdentityStoreException {
        if (bits < RsaKeySizes.minimumBits()) {
            throw new IdentityStoreException(
                    Reason.KEY_TOO_SMALL,
                    file
                            + " holds a "
                            + bits
                            + "-bit RSA key (expected: at least "
                            + RsaKeySizes.minimumBits()
                            + " bits); generate a new identity");
        }
        if (!RsaKeySizes.isAllowed(bits)) {
            // Only a key saved by hand (or by a library call with another size) gets here: no
            // peer would accept it in a handshake, and the ledger would not register it.
            throw unsupported(
                    file,
                    "a "
                            + bits
                            + "-bit RSA key, which no p2pchat peer accepts (expected: "
                            + RsaKeySizes.describe()
                            + " bits); generate a new identity");
        }
    }

    /**
     * Checks that the private key is a consistent RSA CRT key for the stored public key, then a
     * pairwise sign/verify. A damaged CRT parameter would otherwise produce faulty signatures that
     * leak the factorization of the modulus.
     */
    private static void checkKeyPair(RSAPrivateCrtKey key, RSAPublicKey publicKey, Path file)
            throws IdentityStoreException {
        BigInteger n = key.getModulus();
        BigInteger e = key.getPublicExponent();
        BigInteger p = key.getPrimeP();
        BigInteger q = key.getPrimeQ();
        boolean consistent =
                n.equals(publicKey.getModulus())
                        && e.equals(publicKey.getPublicExponent())
                        && p.compareTo(BigInteger.ONE) > 0
                        && q.compareTo(BigInteger.ONE) > 0
                        && p.multiply(q).equals(n)
                        && crtConsistent(key, p, q, e);
        if (!consistent) {
            throw wrongPassphraseOrTampered(
                    file, "the decrypted key does not match the public key stored with it");
        }
        byte[] signature;
        try {
            signature = RsaPss.sign(key, CHECK_MESSAGE, new SecureRandom());
        } catch (GeneralSecurityException ex) {
            throw wrongPassphraseOrTampered(file, "the decrypted key cannot sign");
        }
        if (!RsaPss.verify(publicKey, CHECK_MESSAGE, signature)) {
            throw wrongPassphraseOrTampered(
                    file, "the decrypted key's signature does not verify under the public key");
        }
    }

    private static boolean crtConsistent(
            RSAPrivateCrtKey key, BigInteger p, BigInteger q, BigInteger e) {
        BigInteger d = key.getPrivateExponent();
        BigInteger pMinus1 = p.subtract(BigInteger.ONE);
        BigInteger qMinus1 = q.subtract(BigInteger.ONE);
        BigInteger dP = key.getPrimeExponentP();
        BigInteger dQ = key.getPrimeExponentQ();
        return dP.equals(d.mod(pMinus1))
                && dQ.equals(d.mod(qMinus1))
                && e.multiply(dP).mod(pMinus1).equals(BigInteger.ONE)
                && e.multiply(dQ).mod(qMinus1).equals(BigInteger.ONE)
                && key.getCrtCoefficient().multiply(q).mod(p).equals(BigInteger.ONE);
    }

    // --- helpers ---

    private static void checkPassphrase(char[] passphrase) {
        if (passphrase.length == 0) {
            throw new IllegalArgumentException(
                    "passphrase length: 0 (expected: at least 1 character; identity files are"
                            + " never stored unencrypted)");
        }
    }

    private static KeyFactory rsaKeyFactory() throws GeneralSecurityException {
        return KeyFactory.getInstance("RSA");
    }

    private static IdentityStoreException alreadyExists(Path file) {
        return new IdentityStoreException(
                Reason.ALREADY_EXISTS,
                "a file already exists at " + file + "; identity files are never overwritten");
    }

    private static IdentityStoreException corrupt(
            Path file, String what, @Nullable Throwable cause) {
        return new IdentityStoreException(
                Reason.CORRUPT, file + " is not a valid identity file: " + what, cause);
    }

    private static IdentityStoreException unsupported(Path file, String what) {
        return new IdentityStoreException(
                Reason.UNSUPPORTED, file + " uses what this store does not accept: " + what);
    }

    private static IdentityStoreException wrongPassphraseOrTampered(Path file, String what) {
        return new IdentityStoreException(
                Reason.WRONG_PASSPHRASE_OR_TAMPERED,
                "cannot unlock "
                        + file
                        + ": "
                        + what
                        + ". The passphrase is wrong or the file was modified (the two cannot be"
                        + " told apart)");
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

    /** Bouncy Castle, created on first use and never registered with {@code Security}. */
    private static final class Bc {
        static final Provider PROVIDER = new BouncyCastleProvider();
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
