package io.p2pchat.example.home;

import io.p2pchat.example.text.Explain;
import io.p2pchat.example.text.Program;
import io.p2pchat.example.text.UserError;
import io.p2pchat.util.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The layout of a node's home directory.
 *
 * <pre>
 * HOME/identity.pem             the encrypted identity (IdentityStore): the RSA key and the
 *                               storage root from which the history key is derived
 * HOME/identity.next.pem        during a key rotation: the new key (same passphrase and root)
 * HOME/identity.prev.pem        during a key rotation: the old key, briefly (KeyFiles)
 * HOME/node.properties          name and settings (listen address, the name commitment's salt,
 *                               identity.revoked once the identity was revoked)
 * HOME/ledger/                  the local replica of the ledger
 * HOME/ledger/network.params    the network's parameters (written at --genesis or first --join)
 * HOME/history/PEER-ID.log      encrypted chat history, one file per conversation (ChatHistory)
 * HOME/history/*.unreadable     an earlier version's history file that could not be decrypted
 *                               when it was converted, kept as it was (HistoryMigration)
 * HOME/contacts.dat             encrypted: each identity the person talks with, the name they
 *                               know it by, its key when last seen, verified or not (ContactStore)
 * HOME/credential.key           encrypted: the current delegated credential and its Ed25519 private
 *                               key, so that a restart signs nothing with the RSA key (CredentialFile)
 * HOME/credential.key.unreadable  a credential file that could not be decrypted, set aside
 * HOME/tickets.dat             encrypted: the resumption tickets (with their PSKs) from the last
 *                               clean stop until the next start, which deletes it (TicketFile)
 * HOME/tickets.dat.unreadable   a ticket file that could not be decrypted, set aside
 * </pre>
 *
 * <p>The home is private: p2pchat creates it and every directory in it with mode {@code 0700} and
 * every file with mode {@code 0600}, and {@code node} and {@code ledger} make an existing home so
 * if it grants anything to group or others ({@link HomePermissions}). An earlier version also kept
 * {@code HOME/history/salt}, the salt of a history key derived from the passphrase; the first start
 * of this version converts that history and removes the salt.
 */
public record Home(Path dir) {
    /** The network parameters of the ledger in this home. */
    public Path networkParameters() {
        return ledger().resolve("network.params");
    }

    public Path identity() {
        return dir.resolve("identity.pem");
    }

    /** The new key of an unfinished key rotation ({@link KeyFiles}). */
    public Path identityNext() {
        return dir.resolve("identity.next.pem");
    }

    /** The old key while a rotation replaces it ({@link KeyFiles}). */
    public Path identityPrev() {
        return dir.resolve("identity.prev.pem");
    }

    public Path properties() {
        return dir.resolve("node.properties");
    }

    public Path ledger() {
        return dir.resolve("ledger");
    }

    public Path history() {
        return dir.resolve("history");
    }

    /** The chat client's contacts. */
    public Path contacts() {
        return dir.resolve("contacts.dat");
    }

    /** The node's delegated credential, encrypted ({@link CredentialFile}). */
    public Path credentialKey() {
        return dir.resolve("credential.key");
    }

    /**
     * The node's resumption tickets between a clean stop and the next start ({@link TicketFile}).
     */
    public Path tickets() {
        return dir.resolve("tickets.dat");
    }

    /** The name chosen at {@code init}. */
    public String name() {
        return load().getProperty("name", "");
    }

    /** Reads node.properties (empty if missing). */
    public Properties load() {
        Properties p = new Properties();
        if (Files.exists(properties())) {
            try (InputStream in = Files.newInputStream(properties())) {
                p.load(in);
            } catch (IOException e) {
                throw new UserError(Explain.fileProblem("Cannot read " + properties(), e), e);
            }
        }
        return p;
    }

    /**
     * Writes node.properties atomically (temporary file, fsync, rename, directory fsync), mode
     * {@code 0600}.
     */
    public void store(Properties p) {
        try {
            AtomicFiles.write(properties(), true, out -> p.store(out, "p2pchat node"));
        } catch (IOException e) {
            throw new UserError(Explain.fileProblem("Cannot write " + properties(), e), e);
        }
    }

    /** Sets one property and stores the file. */
    public void set(String key, String value) {
        Properties p = load();
        p.setProperty(key, value);
        store(p);
    }

    /** The height of this home's identity's revocation, if it was revoked from here. */
    public java.util.OptionalLong revokedAt() {
        String v = load().getProperty(REVOKED);
        if (v == null || !v.matches("[0-9]{1,18}")) {
            return java.util.OptionalLong.empty();
        }
        return java.util.OptionalLong.of(Long.parseLong(v));
    }

    /** The node.properties key that records the revocation's height. */
    public static final String REVOKED = "identity.revoked";

    /** Fails, saying what to do, when this home's identity was revoked. */
    public void requireNotRevoked() {
        java.util.OptionalLong h = revokedAt();
        if (h.isPresent()) {
            throw new UserError(revokedSentence(dir, h.getAsLong()));
        }
    }

    /** What a person whose identity was revoked can do next. */
    public static String revokedSentence(Path dir, long height) {
        return "The identity in "
                + dir
                + " was revoked on the ledger at height "
                + height
                + " and can no longer be used; to chat again, create a new one in another home: "
                + Program.command()
                + " init --home NEWDIR --name NAME";
    }

    /** Fails with a clear message when no identity was created here. */
    public void requireIdentity() {
        if (!Files.exists(identity())) {
            throw new UserError(
                    "No identity in "
                            + dir
                            + ". Create one with: "
                            + Program.command()
                            + " init --home "
                            + dir
                            + " --name NAME");
        }
    }
}
