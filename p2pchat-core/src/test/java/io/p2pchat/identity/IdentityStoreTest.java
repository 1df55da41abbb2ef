package io.p2pchat.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.p2pchat.identity.IdentityStore.Encryption;
import io.p2pchat.identity.IdentityStoreException.Reason;
import io.p2pchat.testing.TestIdentities;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Set;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.misc.MiscObjectIdentifiers;
import org.bouncycastle.asn1.misc.ScryptParams;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.KeyDerivationFunc;
import org.bouncycastle.asn1.pkcs.PBES2Parameters;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.crypto.util.ScryptConfig;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfoBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEInputDecryptorProviderBuilder;
import org.bouncycastle.pkcs.jcajce.JcePKCSPBEOutputEncryptorBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class IdentityStoreTest {
    private static final String PASSPHRASE = "correct horse battery staple";

    /** The cheapest cost the builder accepts: fast tests. */
    private static final IdentityStore FAST = IdentityStore.builder().scryptLog2N(10).build();

    private static final IdentityStore FAST_CBC =
            IdentityStore.builder().scryptLog2N(10).encryption(Encryption.AES_256_CBC).build();

    private final LocalIdentity alice = TestIdentities.get("alice");
    private final LocalIdentity bob = TestIdentities.get("bob");

    @TempDir Path dir;

    private static char[] pass() {
        return PASSPHRASE.toCharArray();
    }

    private Path saved(IdentityStore store) throws IOException {
        Path file = dir.resolve("identity.pem");
        store.save(alice, file, pass());
        return file;
    }

    private static Reason reasonOfLoad(IdentityStore store, Path file, char[] passphrase) {
        try {
            LocalIdentity loaded = store.load(file, passphrase);
            throw new AssertionError("loaded " + loaded + " from a bad file");
        } catch (IdentityStoreException e) {
            assertThat(e.getMessage()).doesNotContain(PASSPHRASE).startsWith(e.reason().name());
            return e.reason();
        }
    }

    private static Reason reasonOfLoad(Path file) {
        return reasonOfLoad(FAST, file, pass());
    }

    private static List<PemObject> blocks(Path file) throws IOException {
        return parse(Files.readAllBytes(file));
    }

    private static EncryptedPrivateKeyInfo encryptedInfo(Path file) throws IOException {
        return EncryptedPrivateKeyInfo.getInstance(
                ASN1Primitive.fromByteArray(blocks(file).get(1).getContent()));
    }

    /** Writes the two blocks, as the store does, with the given DER for each. */
    private static void writeBlocks(Path file, byte[] spki, byte[] epki) throws IOException {
        Files.deleteIfExists(file);
        AtomicFiles.write(
                file,
                (IdentityStore.pem(IdentityStore.PUBLIC_KEY_TYPE, spki)
                                + IdentityStore.pem(IdentityStore.ENCRYPTED_KEY_TYPE, epki))
                        .getBytes(StandardCharsets.US_ASCII),
                true);
    }

    // --- round trip and format ---

    /** What is saved loads back as the same key pair, with either cipher. */
    @ParameterizedTest
    @EnumSource(Encryption.class)
    void load_afterSave_returnsSameIdentity(Encryption encryption) throws IOException {
        IdentityStore store =
                IdentityStore.builder().scryptLog2N(10).encryption(encryption).build();
        Path file = saved(store);

        LocalIdentity loaded = store.load(file, pass());

        assertThat(loaded.peerId()).isEqualTo(alice.peerId());
        assertThat(loaded.publicKey()).isEqualTo(alice.publicKey());
        assertThat(loaded.privateKey().getEncoded()).isEqualTo(alice.privateKey().getEncoded());
    }

    /** The file is PEM: a public key, then PKCS#8 PBES2 with scrypt and AES-256-GCM. */
    @Test
    void save_writesPublicBlockAndPbes2ScryptAesGcmBlock() throws IOException {
        Path file = saved(FAST);

        List<PemObject> blocks = blocks(file);
        assertThat(blocks)
                .extracting(PemObject::getType)
                .containsExactly("PUBLIC KEY", "ENCRYPTED PRIVATE KEY");
        assertThat(blocks.get(0).getContent()).isEqualTo(alice.subjectPublicKeyInfo());
        EncryptedPrivateKeyInfo info = encryptedInfo(file);
        assertThat(info.getEncryptionAlgorithm().getAlgorithm())
                .isEqualTo(PKCSObjectIdentifiers.id_PBES2);
        PBES2Parameters pbes2 =
                PBES2Parameters.getInstance(info.getEncryptionAlgorithm().getParameters());
        assertThat(pbes2.getKeyDerivationFunc().getAlgorithm())
                .isEqualTo(MiscObjectIdentifiers.id_scrypt);
        ScryptParams scrypt =
                ScryptParams.getInstance(pbes2.getKeyDerivationFunc().getParameters());
        assertThat(scrypt.getCostParameter()).isEqualTo(BigInteger.valueOf(1024));
        assertThat(scrypt.getBlockSize()).isEqualTo(BigInteger.valueOf(8));
        assertThat(scrypt.getParallelizationParameter()).isEqualTo(BigInteger.ONE);
        assertThat(scrypt.getSalt()).hasSize(16);
        assertThat(pbes2.getEncryptionScheme().getAlgorithm())
                .isEqualTo(NISTObjectIdentifiers.id_aes256_GCM);
    }

    /** The default store writes scrypt N = 2^17 and loads it back (about a second). */
    @Test
    void defaultStore_saveThenLoad_usesScryptN131072() throws IOException {
        IdentityStore store = IdentityStore.create();
        Path file = saved(store);

        LocalIdentity loaded = store.load(file, pass());

        assertThat(loaded.peerId()).isEqualTo(alice.peerId());
        PBES2Parameters pbes2 =
                PBES2Parameters.getInstance(
                        encryptedInfo(file).getEncryptionAlgorithm().getParameters());
        assertThat(
                        ScryptParams.getInstance(pbes2.getKeyDerivationFunc().getParameters())
                                .getCostParameter())
                .isEqualTo(BigInteger.valueOf(1 << 17));
        assertThat(store.toString()).isEqualTo("IdentityStore[scrypt N=2^17 r=8 p=1, AES_256_GCM]");
    }

    /** Saved files are owner-only on POSIX. */
    @Test
    void save_onPosix_createsFileWithMode0600() throws IOException {
        assumeTrue(AtomicFiles.isPosix(dir));
        Path file = saved(FAST);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }

    /** Files edited on Windows (CRLF line ends) still load. */
    @Test
    void load_withCrlfLineEnds_returnsIdentity() throws IOException {
        Path file = saved(FAST);
        Files.writeString(file, Files.readString(file).replace("\n", "\r\n"));

        assertThat(FAST.load(file, pass()).peerId()).isEqualTo(alice.peerId());
    }

    /** The id can be read without the passphrase. */
    @Test
    void readPeerId_savedFile_returnsIdWithoutPassphrase() throws IOException {
        Path file = saved(FAST);

        assertThat(FAST.readPeerId(file)).isEqualTo(alice.peerId());
    }

    /** exists reports presence only. */
    @Test
    void exists_beforeAndAfterSave_falseThenTrue() throws IOException {
        Path file = dir.resolve("identity.pem");
        assertThat(FAST.exists(file)).isFalse();

        FAST.save(alice, file, pass());

        assertThat(FAST.exists(file)).isTrue();
    }

    // --- passphrase handling ---

    /** save wipes the caller's passphrase. */
    @Test
    void save_afterwards_passphraseArrayIsZeroed() throws IOException {
        char[] passphrase = pass();

        FAST.save(alice, dir.resolve("identity.pem"), passphrase);

        assertThat(passphrase).containsOnly('\0');
    }

    /** load wipes the caller's passphrase on success. */
    @Test
    void load_success_passphraseArrayIsZeroed() throws IOException {
        Path file = saved(FAST);
        char[] passphrase = pass();

        FAST.load(file, passphrase);

        assertThat(passphrase).containsOnly('\0');
    }

    /** load wipes the caller's passphrase on failure too. */
    @Test
    void load_failure_passphraseArrayIsZeroed() throws IOException {
        Path file = saved(FAST);
        char[] wrong = "wrong".toCharArray();

        reasonOfLoad(FAST, file, wrong);
        char[] forMissing = pass();
        reasonOfLoad(FAST, dir.resolve("missing.pem"), forMissing);

        assertThat(wrong).containsOnly('\0');
        assertThat(forMissing).containsOnly('\0');
    }

    /** An empty passphrase would mean an unencrypted key: refused. */
    @Test
    void save_emptyPassphrase_throwsIllegalArgumentAndWritesNothing() {
        Path file = dir.resolve("identity.pem");

        assertThatThrownBy(() -> FAST.save(alice, file, new char[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("passphrase length: 0");
        assertThat(file).doesNotExist();
    }

    // --- required error cases ---

    /** A missing file is NOT_FOUND; nothing is created. */
    @Test
    void load_missingFile_throwsNotFound() {
        Path file = dir.resolve("identity.pem");

        assertThat(reasonOfLoad(file)).isEqualTo(Reason.NOT_FOUND);
        assertThat(file).doesNotExist();
    }

    /** A wrong passphrase is WRONG_PASSPHRASE_OR_TAMPERED, with either cipher. */
    @ParameterizedTest
    @EnumSource(Encryption.class)
    void load_wrongPassphrase_throwsWrongPassphraseOrTampered(Encryption encryption)
            throws IOException {
        IdentityStore store =
                IdentityStore.builder().scryptLog2N(10).encryption(encryption).build();
        Path file = saved(store);

        assertThat(reasonOfLoad(store, file, "correct horse battery stapler".toCharArray()))
                .isEqualTo(Reason.WRONG_PASSPHRASE_OR_TAMPERED);
    }

    /** Empty, truncated or garbled files are CORRUPT. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "empty",
                "half",
                "noEnd",
                "publicOnly",
                "encryptedOnly",
                "binary",
                "badBase64",
                "notPem"
            })
    void load_damagedFile_throwsCorrupt(String damage) throws IOException {
        Path file = saved(FAST);
        String pem = Files.readString(file);
        int split = pem.indexOf("-----BEGIN ENCRYPTED");
        String damaged =
                switch (damage) {
                    case "empty" -> "";
                    case "half" -> pem.substring(0, pem.length() / 2);
                    case "noEnd" -> pem.substring(0, pem.lastIndexOf("-----END"));
                    case "publicOnly" -> pem.substring(0, split);
                    case "encryptedOnly" -> pem.substring(split);
                    case "binary" -> "\u0000\u00ff\u00fe" + pem;
                    case "badBase64" -> pem.replaceFirst("\n[A-Za-z0-9+/]{4}", "\n!!!!");
                    case "notPem" -> "this is not a key\n";
                    default -> throw new IllegalArgumentException(damage);
                };
        Files.write(file, damaged.getBytes(StandardCharsets.ISO_8859_1));

        assertThat(reasonOfLoad(file)).isEqualTo(Reason.CORRUPT);
    }

    /** A file over the size limit is refused without being parsed. */
    @Test
    void load_hugeFile_throwsCorrupt() throws IOException {
        Path file = dir.resolve("identity.pem");
        Files.write(file, new byte[IdentityStore.MAX_FILE_SIZE_BYTES + 1]);
        ownerOnly(file);

        assertThat(reasonOfLoad(file)).isEqualTo(Reason.CORRUPT);
    }

    /** Flipping a bit anywhere in the ciphertext or tag: WRONG_PASSPHRASE_OR_TAMPERED. */
    @ParameterizedTest
    @EnumSource(Encryption.class)
    void load_ciphertextBitFlipped_throwsWrongPassphraseOrTampered(Encryption encryption)
            throws IOException {
        IdentityStore store =
                IdentityStore.builder().scryptLog2N(10).encryption(encryption).build();
        Path file = saved(store);
        byte[] spki = blocks(file).get(0).getContent();
        EncryptedPrivateKeyInfo info = encryptedInfo(file);
        byte[] ciphertext = info.getEncryptedData();
        // First and last bytes of each 16-byte block, which covers the GCM tag and CBC padding.
        for (int i = 0; i < ciphertext.length; i += (i % 16 == 0) ? 15 : 1) {
            byte[] mutated = ciphertext.clone();
            mutated[i] ^= 0x01;
            writeBlocks(
                    file,
                    spki,
                    new EncryptedPrivateKeyInfo(info.getEncryptionAlgorithm(), mutated)
                            .getEncoded());

            assertThat(reasonOfLoad(store, file, pass()))
                    .as("bit flip at ciphertext offset %d", i)
                    .isEqualTo(Reason.WRONG_PASSPHRASE_OR_TAMPERED);
        }
    }

    /**
     * No single-bit change in the file yields a key: every one is an error. Every byte of the first
     * 160 characters of each block (the DER structure, the algorithm identifiers and the PBES2
     * parameters) is flipped; in the key material and the ciphertext (also covered above), every
     * 7th.
     */
    @Test
    void load_byteOfFileFlipped_neverLoads() throws IOException {
        Path file = saved(FAST);
        byte[] original = Files.readAllBytes(file);
        String text = new String(original, StandardCharsets.US_ASCII);
        int secondBlock = text.indexOf("-----BEGIN ENCRYPTED");
        EnumSet<Reason> seen = EnumSet.noneOf(Reason.class);
        for (int i = 0; i < original.length; i++) {
            boolean structure = i < 160 || (i >= secondBlock && i < secondBlock + 160);
            if (!structure && i % 7 != 0) {
                continue;
            }
            if (original[i] == '\n' || original[i] == '-') {
                continue; // structure, covered by the truncation cases
            }
            byte[] mutated = original.clone();
            mutated[i] ^= 0x01;
            if (sameBlocks(original, mutated)) {
                continue; // only unused Base64 padding bits changed: the same file
            }
            Files.write(file, mutated);

            Reason reason = reasonOfLoad(file);
            assertThat(reason)
                    .as("flip at file offset %d", i)
                    .isIn(Reason.CORRUPT, Reason.UNSUPPORTED, Reason.WRONG_PASSPHRASE_OR_TAMPERED);
            seen.add(reason);
        }
        assertThat(seen).contains(Reason.CORRUPT, Reason.WRONG_PASSPHRASE_OR_TAMPERED);
    }

    private static boolean sameBlocks(byte[] a, byte[] b) {
        try {
            List<PemObject> x = parse(a);
            List<PemObject> y = parse(b);
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!x.get(i).getType().equals(y.get(i).getType())
                        || !Arrays.equals(x.get(i).getContent(), y.get(i).getContent())) {
                    return false;
                }
            }
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static List<PemObject> parse(byte[] pem) throws IOException {
        List<PemObject> blocks = new ArrayList<>();
        String text = new String(pem, StandardCharsets.ISO_8859_1);
        try (PemReader reader = new PemReader(new StringReader(text))) {
            for (PemObject o = reader.readPemObject(); o != null; o = reader.readPemObject()) {
                blocks.add(o);
            }
        }
        return blocks;
    }

    /** Another identity's public block beside the private key: WRONG_PASSPHRASE_OR_TAMPERED. */
    @Test
    void load_publicBlockSwapped_throwsWrongPassphraseOrTampered() throws IOException {
        Path file = saved(FAST);
        writeBlocks(file, bob.subjectPublicKeyInfo(), blocks(file).get(1).getContent());

        assertThat(reasonOfLoad(file)).isEqualTo(Reason.WRONG_PASSPHRASE_OR_TAMPERED);
        assertThat(FAST.readPeerId(file)).isEqualTo(bob.peerId());
    }

    /** A file readable or writable by group or others is refused, as ssh does. */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "rw-r-----",
                "rw----r--",
                "rw--w----",
                "rw-----w-",
                "rw-rw-rw-",
                "rw---x---"
            })
    void load_groupOrOthersPermissions_throwsInsecurePermissions(String permissions)
            throws IOException {
        assumeTrue(AtomicFiles.isPosix(dir));
        Path file = saved(FAST);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));

        assertThatThrownBy(() -> FAST.load(file, pass()))
                .isInstanceOfSatisfying(
                        IdentityStoreException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.INSECURE_PERMISSIONS))
                .hasMessageContaining(permissions)
                .hasMessageContaining("chmod 600");
    }

    /** Owner-only modes other than 0600 are fine. */
    @Test
    void load_ownerReadOnly_returnsIdentity() throws IOException {
        assumeTrue(AtomicFiles.isPosix(dir));
        Path file = saved(FAST);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));

        assertThat(FAST.load(file, pass()).peerId()).isEqualTo(alice.peerId());
    }

    /** A properly encrypted 1024-bit key is refused as KEY_TOO_SMALL. */
    @Test
    void load_1024BitKey_throwsKeyTooSmall() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(1024);
        KeyPair small = generator.generateKeyPair();
        Path file = dir.resolve("identity.pem");
        FAST.saveKeys(
                (RSAPrivateKey) small.getPrivate(),
                (RSAPublicKey) small.getPublic(),
                StorageRoot.generate(),
                file,
                pass());

        assertThatThrownBy(() -> FAST.load(file, pass()))
                .isInstanceOfSatisfying(
                        IdentityStoreException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.KEY_TOO_SMALL))
                .hasMessageContaining("1024-bit")
                .hasMessageContaining("at least 2048");
    }

    // --- other refusals ---

    /** Unencrypted private keys are never loaded. */
    @ParameterizedTest
    @ValueSource(strings = {"PRIVATE KEY", "RSA PRIVATE KEY"})
    void load_unencryptedKey_throwsUnsupported(String type) throws IOException {
        Path file = dir.resolve("identity.pem");
        Files.writeString(
                file,
                IdentityStore.pem(IdentityStore.PUBLIC_KEY_TYPE, alice.subjectPublicKeyInfo())
                        + IdentityStore.pem(type, alice.privateKey().getEncoded()));
        ownerOnly(file);

        assertThatThrownBy(() -> FAST.load(file, pass()))
                .isInstanceOfSatisfying(
                        IdentityStoreException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED))
                .hasMessageContaining("unencrypted");
    }

    /** PBKDF2 files (OpenSSL's default) are not what this store writes: UNSUPPORTED. */
    @Test
    void load_pbkdf2File_throwsUnsupported() throws Exception {
        byte[] der = alice.privateKey().getEncoded();
        byte[] epki =
                new PKCS8EncryptedPrivateKeyInfoBuilder(der)
                        .build(
                                new JcePKCSPBEOutputEncryptorBuilder(
                                                NISTObjectIdentifiers.id_aes256_CBC)
                                        .setProvider(new BouncyCastleProvider())
                                        .build(pass()))
                        .getEncoded();
        Path file = dir.resolve("identity.pem");
        writeBlocks(file, alice.subjectPublicKeyInfo(), epki);

        assertThatThrownBy(() -> FAST.load(file, pass()))
                .isInstanceOfSatisfying(
                        IdentityStoreException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED))
                .hasMessageContaining("expected: scrypt");
    }

    /** A file asking scrypt for more than 1 GiB is refused before any derivation. */
    @Test
    void load_scryptCostAboveLimit_throwsUnsupportedWithoutDeriving() throws IOException {
        Path file = saved(FAST);
        EncryptedPrivateKeyInfo info = encryptedInfo(file);
        PBES2Parameters pbes2 =
                PBES2Parameters.getInstance(info.getEncryptionAlgorithm().getParameters());
        ScryptParams scrypt =
                ScryptParams.getInstance(pbes2.getKeyDerivationFunc().getParameters());
        ScryptParams greedy = new ScryptParams(scrypt.getSalt(), 1 << 30, 8, 1);
        PBES2Parameters rewritten =
                new PBES2Parameters(
                        new KeyDerivationFunc(MiscObjectIdentifiers.id_scrypt, greedy),
                        pbes2.getEncryptionScheme());
        writeBlocks(
                file,
                alice.subjectPublicKeyInfo(),
                new EncryptedPrivateKeyInfo(
                                new AlgorithmIdentifier(PKCSObjectIdentifiers.id_PBES2, rewritten),
                                info.getEncryptedData())
                        .getEncoded());

        assertThatThrownBy(() -> FAST.load(file, pass()))
                .isInstanceOfSatisfying(
                        IdentityStoreException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED))
                .hasMessageContaining("N=1073741824");
    }

    /** An existing file is never overwritten. */
    @Test
    void save_existingFile_throwsAlreadyExistsAndKeepsIt() throws IOException {
        Path file = saved(FAST);
        byte[] before = Files.readAllBytes(file);
        char[] passphrase = pass();

        assertThatThrownBy(() -> FAST.save(bob, file, passphrase))
                .isInstanceOfSatisfying(
                        IdentityStoreException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.ALREADY_EXISTS));

        assertThat(Files.readAllBytes(file)).isEqualTo(before);
        assertThat(passphrase).containsOnly('\0');
    }

    /** A save into a missing directory fails and leaves nothing behind. */
    @Test
    void save_missingDirectory_throwsIoErrorAndLeavesNothing() throws IOException {
        Path file = dir.resolve("missing").resolve("identity.pem");

        assertThatThrownBy(() -> FAST.save(alice, file, pass()))
                .isInstanceOfSatisfying(
                        IdentityStoreException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.IO_ERROR))
                .hasMessageContaining("directory does not exist");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    /** A directory where the file should be is an IO_ERROR, not NOT_FOUND. */
    @Test
    void load_directory_throwsIoError() throws IOException {
        Path file = Files.createDirectory(dir.resolve("identity.pem"));

        assertThat(reasonOfLoad(file)).isEqualTo(Reason.IO_ERROR);
    }

    /** The KDF cost is validated with the bad value and the range. */
    @ParameterizedTest
    @ValueSource(ints = {9, 21})
    void scryptLog2N_outOfRange_throwsIllegalArgument(int log2N) {
        assertThatThrownBy(() -> IdentityStore.builder().scryptLog2N(log2N))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("scryptLog2N: " + log2N + " (expected: 10..20)");
    }

    /** A wrong-passphrase failure carries no cause and no secret in its message. */
    @Test
    void load_wrongPassphrase_messageNamesFileButNoSecretAndNoCause() throws IOException {
        Path file = saved(FAST);

        assertThatThrownBy(() -> FAST.load(file, "hunter2-wrong".toCharArray()))
                .isInstanceOfSatisfying(
                        IdentityStoreException.class,
                        e -> {
                            assertThat(e.getCause()).isNull();
                            assertThat(e.getMessage())
                                    .contains(file.toString())
                                    .contains("cannot be told apart")
                                    .doesNotContain("hunter2")
                                    .doesNotContain(PASSPHRASE);
                        });
    }

    // --- storage root ---

    /** A file as versions before the storage root wrote it: no attribute. */
    private Path savedWithoutRoot(IdentityStore store) throws IOException {
        Path file = dir.resolve("identity.pem");
        store.saveKeys((RSAPrivateKey) alice.privateKey(), alice.publicKey(), null, file, pass());
        return file;
    }

    /** The PrivateKeyInfo inside the file, decrypted as any PKCS#8 reader would. */
    private static PrivateKeyInfo plaintext(Path file) throws Exception {
        return new PKCS8EncryptedPrivateKeyInfo(encryptedInfo(file))
                .decryptPrivateKeyInfo(
                        new JcePKCSPBEInputDecryptorProviderBuilder()
                                .setProvider(new BouncyCastleProvider())
                                .build(pass()));
    }

    private static byte[] key(StoredIdentity stored) {
        return stored.storageRoot().deriveKey("test label", 32);
    }

    private static ScryptParams scrypt(Path file) throws IOException {
        PBES2Parameters pbes2 =
                PBES2Parameters.getInstance(
                        encryptedInfo(file).getEncryptionAlgorithm().getParameters());
        return ScryptParams.getInstance(pbes2.getKeyDerivationFunc().getParameters());
    }

    private static ASN1ObjectIdentifier cipher(Path file) throws IOException {
        return PBES2Parameters.getInstance(
                        encryptedInfo(file).getEncryptionAlgorithm().getParameters())
                .getEncryptionScheme()
                .getAlgorithm();
    }

    /** Writes alice's key encrypted with the given PrivateKeyInfo attributes. */
    private Path savedWithAttributes(ASN1Set attributes) throws Exception {
        PrivateKeyInfo jdk = PrivateKeyInfo.getInstance(alice.privateKey().getEncoded());
        PrivateKeyInfo info =
                new PrivateKeyInfo(jdk.getPrivateKeyAlgorithm(), jdk.parsePrivateKey(), attributes);
        byte[] epki =
                new PKCS8EncryptedPrivateKeyInfoBuilder(info)
                        .build(
                                new JcePKCSPBEOutputEncryptorBuilder(
                                                new ScryptConfig.Builder(1024, 8, 1)
                                                        .withSaltLength(16)
                                                        .build(),
                                                NISTObjectIdentifiers.id_aes256_GCM)
                                        .setProvider(new BouncyCastleProvider())
                                        .build(pass()))
                        .getEncoded();
        Path file = dir.resolve("identity.pem");
        writeBlocks(file, alice.subjectPublicKeyInfo(), epki);
        ownerOnly(file);
        return file;
    }

    /** HKDF-SHA-256 (RFC 5869), no salt, 32 bytes, written out with HMAC-SHA-256. */
    private static byte[] hkdf(byte[] ikm, byte[] info) throws Exception {
        Mac hmac = Mac.getInstance("HmacSHA256");
        hmac.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
        byte[] prk = hmac.doFinal(ikm);
        hmac.init(new SecretKeySpec(prk, "HmacSHA256"));
        hmac.update(info);
        hmac.update((byte) 1);
        return hmac.doFinal();
    }

    /** The attribute value this store writes: the root, then HKDF(root, empty info). */
    private static byte[] rootValue(byte[] root) throws Exception {
        byte[] value = Arrays.copyOf(root, 64);
        System.arraycopy(hkdf(root, new byte[0]), 0, value, 32, 32);
        return value;
    }

    private static Attribute rootAttribute(byte[]... values) {
        ASN1Encodable[] octets = new ASN1Encodable[values.length];
        for (int i = 0; i < values.length; i++) {
            octets[i] = new DEROctetString(values[i]);
        }
        return new Attribute(
                new ASN1ObjectIdentifier(IdentityStore.STORAGE_ROOT_OID), new DERSet(octets));
    }

    /**
     * save puts 32 random bytes in the PKCS#8 PrivateKeyInfo's attributes, under the storage-root
     * OID (2.25 arc, X.667), inside the encryption: the public block and the PBES2 parameters do
     * not change.
     */
    @Test
    void save_storesRandomRootAsPrivateKeyInfoAttribute() throws Exception {
        Path file = saved(FAST);

        PrivateKeyInfo info = plaintext(file);
        assertThat(info.getAttributes()).isNotNull();
        assertThat(info.getAttributes().size()).isEqualTo(1);
        Attribute attribute = Attribute.getInstance(info.getAttributes().getObjectAt(0));
        assertThat(attribute.getAttrType().getId())
                .isEqualTo(IdentityStore.STORAGE_ROOT_OID)
                .startsWith("2.25.");
        byte[] value =
                ASN1OctetString.getInstance(attribute.getAttrValues().getObjectAt(0)).getOctets();
        assertThat(value).hasSize(64);
        byte[] root = Arrays.copyOf(value, 32);
        assertThat(root).isNotEqualTo(new byte[32]);
        assertThat(Arrays.copyOfRange(value, 32, 64)).isEqualTo(hkdf(root, new byte[0]));
        assertThat(blocks(file).get(0).getContent()).isEqualTo(alice.subjectPublicKeyInfo());
        StoredIdentity stored = FAST.open(file, pass());
        assertThat(key(stored))
                .isEqualTo(StorageRoot.wrap(root.clone()).deriveKey("test label", 32));
    }

    /** Two saves of the same key get different roots; each open of one file gets the same. */
    @Test
    void open_afterSave_returnsIdentityAndTheSameRootEachTime() throws IOException {
        Path file = saved(FAST);
        Path other = dir.resolve("other.pem");
        FAST.save(alice, other, pass());
        byte[] before = Files.readAllBytes(file);

        StoredIdentity first = FAST.open(file, pass());
        StoredIdentity second = FAST.open(file, pass());

        assertThat(first.identity().peerId()).isEqualTo(alice.peerId());
        assertThat(first.rootCreated()).isFalse();
        assertThat(key(first)).isEqualTo(key(second)).isNotEqualTo(key(FAST.open(other, pass())));
        assertThat(Files.readAllBytes(file)).as("not rewritten").isEqualTo(before);
        assertThat(first.toString()).contains(alice.peerId().shortId()).contains("redacted");
    }

    /**
     * A file without a root (written by an earlier version) gets one on open: the file is rewritten
     * once, with the same scrypt cost and cipher, and the same passphrase opens it.
     */
    @ParameterizedTest
    @EnumSource(Encryption.class)
    void open_fileWithoutRoot_addsRootOnceKeepingCostAndCipher(Encryption encryption)
            throws Exception {
        IdentityStore writer =
                IdentityStore.builder().scryptLog2N(11).encryption(encryption).build();
        Path file = savedWithoutRoot(writer);
        ASN1ObjectIdentifier cipherBefore = cipher(file);
        assertThat(plaintext(file).getAttributes()).isNull();
        char[] passphrase = pass();

        StoredIdentity upgraded = FAST.open(file, passphrase);

        assertThat(passphrase).containsOnly('\0');
        assertThat(upgraded.rootCreated()).isTrue();
        assertThat(upgraded.identity().peerId()).isEqualTo(alice.peerId());
        assertThat(plaintext(file).getAttributes()).isNotNull();
        assertThat(scrypt(file).getCostParameter()).isEqualTo(BigInteger.valueOf(1 << 11));
        assertThat(cipher(file)).isEqualTo(cipherBefore);
        StoredIdentity again = FAST.open(file, pass());
        assertThat(again.rootCreated()).isFalse();
        assertThat(key(again)).isEqualTo(key(upgraded));
        assertThat(FAST.load(file, pass()).peerId()).isEqualTo(alice.peerId());
        if (AtomicFiles.isPosix(dir)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                    .isEqualTo("rw-------");
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    /** load reads files with and without a root, and never rewrites them. */
    @Test
    void load_fileWithoutRoot_returnsIdentityAndDoesNotRewrite() throws IOException {
        Path file = savedWithoutRoot(FAST);
        byte[] before = Files.readAllBytes(file);

        assertThat(FAST.load(file, pass()).peerId()).isEqualTo(alice.peerId());
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    /** A wrong passphrase on a file without a root: refused, and the file is not touched. */
    @Test
    void open_fileWithoutRootWrongPassphrase_throwsAndLeavesFile() throws IOException {
        Path file = savedWithoutRoot(FAST);
        byte[] before = Files.readAllBytes(file);

        assertThatThrownBy(() -> FAST.open(file, "wrong".toCharArray()))
                .isInstanceOfSatisfying(
                        IdentityStoreException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_PASSPHRASE_OR_TAMPERED));
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    /**
     * A storage root attribute built here from the format's description (root, then its HKDF check)
     * opens with that root.
     */
    @Test
    void open_rootAttributeAsDocumented_returnsThatRoot() throws Exception {
        byte[] root = new byte[32];
        Arrays.fill(root, (byte) 5);
        Path file = savedWithAttributes(new DERSet(rootAttribute(rootValue(root))));

        StoredIdentity stored = FAST.open(file, pass());

        assertThat(stored.rootCreated()).isFalse();
        assertThat(key(stored))
                .isEqualTo(StorageRoot.wrap(root.clone()).deriveKey("test label", 32));
    }

    /**
     * Attributes that are not exactly one well-formed storage root passing its check are refused as
     * tampering, never taken for a file without a root (which open would give a new one): with
     * AES-CBC, a modified block could otherwise change the root or hide it.
     */
    @Test
    void open_malformedOrForeignAttributes_throwsWrongPassphraseOrTampered() throws Exception {
        byte[] ok = rootValue(new byte[32]);
        byte[] badCheck = ok.clone();
        badCheck[40] ^= 1;
        Attribute foreign =
                new Attribute(
                        new ASN1ObjectIdentifier("1.2.3.4"),
                        new DERSet(new DEROctetString(new byte[3])));
        List<ASN1Set> bad =
                List.of(
                        new DERSet(rootAttribute(new byte[32])),
                        new DERSet(rootAttribute(Arrays.copyOf(ok, 63))),
                        new DERSet(rootAttribute(badCheck)),
                        new DERSet(rootAttribute(ok, rootValue(new byte[32]))),
                        new DERSet(rootAttribute()),
                        new DERSet(foreign),
                        new DERSet(new ASN1Encodable[] {foreign, rootAttribute(ok)}),
                        new DERSet());
        for (ASN1Set attributes : bad) {
            Path file = savedWithAttributes(attributes);
            byte[] before = Files.readAllBytes(file);

            assertThatThrownBy(() -> FAST.open(file, pass()))
                    .as("attributes %s", attributes)
                    .isInstanceOfSatisfying(
                            IdentityStoreException.class,
                            e -> {
                                assertThat(e.reason())
                                        .isEqualTo(Reason.WRONG_PASSPHRASE_OR_TAMPERED);
                                assertThat(e.getCause()).isNull();
                            })
                    .hasMessageContaining("storage root");
            assertThat(Files.readAllBytes(file)).isEqualTo(before);
        }
    }

    /** Key rotation: the new key saved with the old file's root derives the same keys. */
    @Test
    void save_withGivenRoot_newKeyKeepsTheRoot() throws IOException {
        Path file = saved(FAST);
        StoredIdentity old = FAST.open(file, pass());
        Path rotated = dir.resolve("rotated.pem");

        FAST.save(bob, old.storageRoot(), rotated, pass());

        StoredIdentity reopened = FAST.open(rotated, pass());
        assertThat(reopened.identity().peerId()).isEqualTo(bob.peerId());
        assertThat(key(reopened)).isEqualTo(key(old));
        assertThat(old.storageRoot().isDestroyed()).as("the caller still owns it").isFalse();
    }

    /**
     * changePassphrase re-encrypts the one file atomically: the old passphrase no longer opens it,
     * the new one does, with the same key and root; both arrays are wiped.
     */
    @Test
    void changePassphrase_newOpensOldDoesNot_sameKeyAndRoot() throws IOException {
        Path file = saved(FAST);
        byte[] rootKey = key(FAST.open(file, pass()));
        char[] oldPassphrase = pass();
        char[] newPassphrase = "a new passphrase".toCharArray();

        FAST.changePassphrase(file, oldPassphrase, newPassphrase);

        assertThat(oldPassphrase).containsOnly('\0');
        assertThat(newPassphrase).containsOnly('\0');
        assertThat(reasonOfLoad(FAST, file, pass())).isEqualTo(Reason.WRONG_PASSPHRASE_OR_TAMPERED);
        StoredIdentity reopened = FAST.open(file, "a new passphrase".toCharArray());
        assertThat(reopened.identity().peerId()).isEqualTo(alice.peerId());
        assertThat(key(reopened)).isEqualTo(rootKey);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).as("no temporary file left").containsExactly(file);
        }
        if (AtomicFiles.isPosix(dir)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                    .isEqualTo("rw-------");
        }
    }

    /** A wrong old passphrase changes nothing. */
    @Test
    void changePassphrase_wrongOldPassphrase_throwsAndLeavesFile() throws IOException {
        Path file = saved(FAST);
        byte[] before = Files.readAllBytes(file);
        char[] newPassphrase = "a new passphrase".toCharArray();

        assertThatThrownBy(() -> FAST.changePassphrase(file, "wrong".toCharArray(), newPassphrase))
                .isInstanceOfSatisfying(
                        IdentityStoreException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.WRONG_PASSPHRASE_OR_TAMPERED));
        assertThat(newPassphrase).containsOnly('\0');
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    /** An empty new passphrase is refused before anything is derived or written. */
    @Test
    void changePassphrase_emptyNewPassphrase_throwsIllegalArgument() throws IOException {
        Path file = saved(FAST);
        byte[] before = Files.readAllBytes(file);

        assertThatThrownBy(() -> FAST.changePassphrase(file, pass(), new char[0]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    /** A file without a root gets one when its passphrase changes. */
    @Test
    void changePassphrase_fileWithoutRoot_addsRoot() throws Exception {
        Path file = savedWithoutRoot(FAST);

        FAST.changePassphrase(file, pass(), "a new passphrase".toCharArray());

        assertThat(FAST.open(file, "a new passphrase".toCharArray()).rootCreated()).isFalse();
    }

    /**
     * deriveKey is HKDF-SHA-256 (RFC 5869) with no salt, the root as IKM and the label as info,
     * checked against an HMAC-SHA-256 computation written out here.
     */
    @Test
    void storageRoot_deriveKey_isHkdfSha256OfRootWithLabelAsInfo() throws Exception {
        byte[] root = new byte[32];
        for (int i = 0; i < root.length; i++) {
            root[i] = (byte) i;
        }
        StorageRoot storageRoot = StorageRoot.wrap(root.clone());
        byte[] t1 = hkdf(root, "p2pchat test label".getBytes(StandardCharsets.UTF_8));

        assertThat(storageRoot.deriveKey("p2pchat test label", 32)).isEqualTo(t1);
        assertThat(storageRoot.deriveKey("p2pchat test label", 16))
                .isEqualTo(Arrays.copyOf(t1, 16));
        assertThat(storageRoot.deriveKey("p2pchat other label", 32)).isNotEqualTo(t1);
    }

    /** A root prints redacted, refuses bad arguments, and is unusable once destroyed. */
    @Test
    void storageRoot_redactedValidatedAndDestroyable() {
        StorageRoot root = StorageRoot.generate();

        assertThat(root.toString()).isEqualTo("StorageRoot[redacted]");
        assertThatThrownBy(() -> root.deriveKey("", 32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("label length: 0");
        assertThatThrownBy(() -> root.deriveKey("x", 15))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lengthBytes: 15");
        root.destroy();
        assertThat(root.isDestroyed()).isTrue();
        assertThatThrownBy(() -> root.deriveKey("x", 32)).isInstanceOf(IllegalStateException.class);
    }

    /**
     * OpenSSL 3 reads a file with a storage root when it is written with AES-256-CBC and scrypt
     * 2^14 (as the class documentation says), and a key made with {@code openssl pkcs8 -topk8
     * -scrypt} opens here and gets a root. Skipped where there is no openssl.
     */
    @Test
    void openssl_readsFileWithRoot_andItsOwnFileOpensWithNewRoot() throws Exception {
        assumeTrue(OpenSsl.available(), "no openssl on the PATH");
        IdentityStore compatible =
                IdentityStore.builder().scryptLog2N(14).encryption(Encryption.AES_256_CBC).build();
        Path file = saved(compatible);
        Path passFile = dir.resolve("pass.txt");
        Files.writeString(passFile, PASSPHRASE);

        String publicPem =
                OpenSsl.run(
                        "pkey", "-in", file.toString(), "-passin", "file:" + passFile, "-pubout");
        assertThat(publicPem.replaceAll("\\s", ""))
                .isEqualTo(
                        IdentityStore.pem(
                                        IdentityStore.PUBLIC_KEY_TYPE, alice.subjectPublicKeyInfo())
                                .replaceAll("\\s", ""));

        String privatePem =
                OpenSsl.run("pkey", "-in", file.toString(), "-passin", "file:" + passFile);
        Path plain = dir.resolve("plain.pem");
        Files.writeString(plain, privatePem);
        String encrypted =
                OpenSsl.run(
                        "pkcs8",
                        "-topk8",
                        "-v2",
                        "aes-256-cbc",
                        "-scrypt",
                        "-in",
                        plain.toString(),
                        "-passout",
                        "file:" + passFile);
        Path imported = dir.resolve("imported.pem");
        Files.writeString(imported, publicPem + encrypted);
        ownerOnly(imported);

        StoredIdentity stored = FAST.open(imported, pass());
        assertThat(stored.identity().peerId()).isEqualTo(alice.peerId());
        assertThat(stored.rootCreated()).isTrue();
    }

    private static void ownerOnly(Path file) throws IOException {
        if (AtomicFiles.isPosix(file.getParent())) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
    }
}
