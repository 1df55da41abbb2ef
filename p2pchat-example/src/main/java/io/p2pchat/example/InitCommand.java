package io.p2pchat.example;

import io.p2pchat.example.home.Home;
import io.p2pchat.example.home.HomePermissions;
import io.p2pchat.example.home.Passphrases;
import io.p2pchat.example.text.Explain;
import io.p2pchat.example.text.Program;
import io.p2pchat.example.text.UserError;
import io.p2pchat.identity.IdentityStore;
import io.p2pchat.identity.IdentityStoreException;
import io.p2pchat.identity.LocalIdentity;
import io.p2pchat.identity.RsaKeySizes;
import io.p2pchat.util.PrivateFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code p2pchat init}: creates an identity, encrypted with a passphrase. */
@Command(
        name = "init",
        mixinStandardHelpOptions = true,
        description =
                "Create an identity (an RSA key, encrypted with a passphrase) in a home directory.")
final class InitCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--home", required = true, description = "Home directory of the node.")
    Path home;

    @Option(
            names = "--name",
            required = true,
            description =
                    "Name to register on the ledger: 1 to 32 lower-case letters, digits, '.', '_'"
                        + " or '-', starting with a letter or digit (first come, first served).")
    String name;

    @Option(
            names = "--passphrase-file",
            description =
                    "Read the passphrase from this file (else $P2PCHAT_PASSPHRASE, else a prompt).")
    Path passphraseFile;

    @Option(
            names = "--insecure-passphrase",
            description =
                    "Accept a passphrase that fails the strength check (at least 12 characters,"
                            + " not a common or patterned one): for throwaway test identities"
                            + " only.")
    boolean insecurePassphrase;

    @Option(
            names = "--key-bits",
            defaultValue = "3072",
            description = "RSA key size: 2048, 3072 or 4096 (default ${DEFAULT-VALUE}).")
    int keyBits;

    @Override
    public Integer call() {
        String given = name;
        // Capitals are taken as lower case; anything else outside the rule is refused, quoting
        // the name as it was typed.
        name = name.toLowerCase(java.util.Locale.ROOT);
        if (!name.matches("[a-z0-9][a-z0-9._-]{0,31}")) {
            throw UserError.usage(
                    "The name '"
                            + given
                            + "' is not allowed: use 1 to 32 lower-case letters, digits, '.', '_'"
                            + " or '-', starting with a letter or digit.");
        }
        if (!RsaKeySizes.isAllowed(keyBits)) {
            throw UserError.usage("--key-bits must be " + RsaKeySizes.describe() + ".");
        }
        Home h = new Home(home);
        if (Files.exists(h.identity())) {
            throw new UserError(
                    "There is already an identity in " + home + "; it is never overwritten.");
        }
        try {
            PrivateFiles.createDirectories(home);
        } catch (IOException e) {
            throw new UserError(Explain.fileProblem("Cannot create the home " + home, e), e);
        }
        HomePermissions.tighten(home).ifPresent(spec.commandLine().getOut()::println);
        char[] passphrase = Passphrases.readNew(passphraseFile, insecurePassphrase);
        PrintWriter out = spec.commandLine().getOut();
        out.println("Generating a " + keyBits + "-bit RSA identity for " + name + "...");
        out.flush();
        LocalIdentity identity = LocalIdentity.generate(keyBits, new java.security.SecureRandom());
        try {
            IdentityStore.create().save(identity, h.identity(), passphrase);
        } catch (IdentityStoreException e) {
            throw new UserError(
                    Explain.fileProblem("Cannot save the identity in " + h.identity(), e), e);
        } finally {
            Arrays.fill(passphrase, '\0');
        }
        Properties p = h.load();
        p.setProperty("name", name);
        h.store(p);
        out.println("Identity created in " + h.identity());
        out.println("  name:        " + name);
        out.println("  peer id:     " + identity.peerId().toHex());
        out.println("  fingerprint: " + identity.peerId().fingerprint());
        out.println("Next, start a new network:");
        String cmd = Program.command();
        out.println("  " + cmd + " node --home " + home + " --listen 127.0.0.1:7000 --genesis");
        out.println("or join one through any member's address:");
        out.println(
                "  " + cmd + " node --home " + home + " --listen 127.0.0.1:7001 --join HOST:PORT");
        return 0;
    }
}
