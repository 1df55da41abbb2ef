package io.p2pchat.example.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pchat.identity.IdentityStore;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.util.AtomicFiles;
import io.p2pchat.util.PrivateFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Node homes for tests. */
public final class Homes {
    /** The passphrase of every test identity. */
    public static final String PASSPHRASE = "correct horse battery staple";

    /**
     * Identity files written for tests use scrypt N = 2^10 instead of 2^17, so that a child JVM
     * loads them in milliseconds rather than a second or more (the file format is the same; the
     * real cost is exercised by {@link #initWithCli}).
     */
    private static final IdentityStore FAST_STORE =
            IdentityStore.builder().scryptLog2N(IdentityStore.MIN_SCRYPT_LOG2_N).build();

    private static final Map<String, LocalIdentity> KEYS = new ConcurrentHashMap<>();

    private Homes() {}

    /** A file holding {@link #PASSPHRASE}. */
    public static Path passphraseFile(Path dir) throws Exception {
        Path f = dir.resolve("passphrase");
        if (!Files.exists(f)) {
            Files.writeString(f, PASSPHRASE);
        }
        return f;
    }

    /**
     * A home for {@code name} in {@code dir/name}, as {@code p2pchat init} makes it, with an
     * RSA-2048 key generated once per JVM and per name.
     */
    public static Path init(Path dir, String name) throws Exception {
        Path home = dir.resolve(name);
        PrivateFiles.createDirectories(home);
        FAST_STORE.save(key(name), home.resolve("identity.pem"), PASSPHRASE.toCharArray());
        AtomicFiles.write(
                home.resolve("node.properties"),
                ("name=" + name + "\n").getBytes(StandardCharsets.UTF_8),
                false);
        return home;
    }

    /** The RSA-2048 key of {@code name}, generated once per JVM. */
    public static LocalIdentity key(String name) {
        return KEYS.computeIfAbsent(name, n -> LocalIdentity.generate(2048, new SecureRandom()));
    }

    /** Asserts that every directory in {@code home} (itself included) is 0700, every file 0600. */
    public static void assertPrivate(Path home) throws Exception {
        try (var paths = Files.walk(home)) {
            for (Path p : paths.toList()) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
                        .as(p.toString())
                        .isEqualTo(Files.isDirectory(p) ? "rwx------" : "rw-------");
            }
        }
    }

    /**
     * Runs the real {@code p2pchat init} for {@code name} in {@code dir/name} (RSA-2048), with
     * {@code --insecure-passphrase}: {@link #PASSPHRASE} is a famous example, which the strength
     * check refuses.
     */
    public static Path initWithCli(Path dir, String name) throws Exception {
        Path home = dir.resolve(name);
        InProcessNode init =
                InProcessNode.run(
                        "init-" + name,
                        "init",
                        "--home",
                        home.toString(),
                        "--name",
                        name,
                        "--key-bits",
                        "2048",
                        "--passphrase-file",
                        passphraseFile(dir).toString(),
                        // The test passphrase is the best-known passphrase there is.
                        "--insecure-passphrase");
        assertThat(init.awaitExit()).as(init.transcript()).isZero();
        return home;
    }

    /** The identity stored in a home. */
    public static LocalIdentity identity(Path home) throws Exception {
        return IdentityStore.create().load(home.resolve("identity.pem"), PASSPHRASE.toCharArray());
    }

    /**
     * The identity key id of the delegated credential in {@code HOME/credential.key} (decrypted
     * with the home's storage root), or empty when there is none.
     */
    public static java.util.Optional<io.p2pchat.identity.PeerId> credentialKeyId(Path home)
            throws Exception {
        io.p2pchat.identity.StoredIdentity s =
                IdentityStore.create().open(home.resolve("identity.pem"), PASSPHRASE.toCharArray());
        try (io.p2pchat.example.home.CredentialFile f =
                io.p2pchat.example.home.CredentialFile.of(
                        home.resolve("credential.key"), s.storageRoot(), n -> {})) {
            byte[] state = f.load();
            // state = version (1) || seed (32) || credential, whose key id is at 35..67
            return state == null
                    ? java.util.Optional.empty()
                    : java.util.Optional.of(
                            io.p2pchat.identity.PeerId.of(
                                    java.util.Arrays.copyOfRange(state, 33 + 35, 33 + 67)));
        } finally {
            s.destroy();
        }
    }
}
