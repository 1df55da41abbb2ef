package io.p2pchat.example;

import io.p2pchat.example.console.Output;
import io.p2pchat.example.home.Home;
import io.p2pchat.example.home.HomePermissions;
import io.p2pchat.example.home.KeyFiles;
import io.p2pchat.example.home.Passphrases;
import io.p2pchat.example.text.ExitCode;
import io.p2pchat.example.text.UserError;
import io.p2pchat.identity.IdentityStore;
import io.p2pchat.identity.IdentityStoreException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code p2pchat passphrase}: changes the passphrase of a home's identity file. The file is
 * re-encrypted and replaced atomically ({@link IdentityStore#changePassphrase}): afterwards only
 * the new passphrase opens it; the key and the storage root (so the chat history) stay the same.
 * Refused while a node runs on the home (it holds the ledger's lock, which this command takes too)
 * and while a key rotation is unfinished.
 */
@Command(
        name = "passphrase",
        sortOptions = false,
        description = {
            "Change the passphrase of the identity in a home (the old one no longer opens it).",
            "",
            "Examples:",
            "  p2pchat passphrase --home alice",
            "  p2pchat passphrase --home alice --passphrase-file old.txt --new-passphrase-file"
                    + " new.txt"
        })
final class PassphraseCommand implements Callable<Integer> {
    /** The environment variable scripts may set for the new passphrase. */
    static final String NEW_ENV = "P2PCHAT_NEW_PASSPHRASE";

    @ParentCommand P2pChat parent;

    @Option(names = "--home", required = true, description = "Home directory of the identity.")
    Path home;

    @Option(
            names = "--passphrase-file",
            paramLabel = "FILE",
            description =
                    "Read the current passphrase from this file (else $P2PCHAT_PASSPHRASE, else"
                            + " a prompt).")
    Path passphraseFile;

    @Option(
            names = "--insecure-passphrase",
            description =
                    "Accept a new passphrase that fails the strength check (at least 12"
                            + " characters, not a common or patterned one): for throwaway test"
                            + " identities only.")
    boolean insecurePassphrase;

    @Option(
            names = "--new-passphrase-file",
            paramLabel = "FILE",
            description =
                    "Read the new passphrase from this file (else $"
                            + NEW_ENV
                            + ", else a prompt, twice).")
    Path newPassphraseFile;

    @Option(names = "--json", description = "Print the outcome as one JSON object.")
    boolean json;

    @Override
    public Integer call() {
        Output out = new Output(json ? Output.Mode.JSON : Output.Mode.PLAIN, parent.out());
        Home h = new Home(home);
        h.requireIdentity();
        HomePermissions.tighten(h.dir()).ifPresent(out::info);
        if (new KeyFiles(h, IdentityStore.create()).rotationInProgress()) {
            throw new UserError(
                    "A key rotation is unfinished in "
                            + home
                            + ": start the node once to finish it, then change the passphrase.");
        }
        try (HomeLock lock = HomeLock.acquire(h)) {
            char[] old = Passphrases.read(passphraseFile, false);
            char[] next;
            try {
                // The current passphrase first: nobody types a new one twice to learn then that
                // the old one was wrong.
                checkOpens(h, old.clone());
                next = readNew();
            } catch (RuntimeException e) {
                Arrays.fill(old, '\0');
                throw e;
            }
            if (Arrays.equals(old, next)) {
                Arrays.fill(old, '\0');
                Arrays.fill(next, '\0');
                throw new UserError("The new passphrase is the current one: nothing was changed.");
            }
            try {
                IdentityStore.create().changePassphrase(h.identity(), old, next);
            } catch (IdentityStoreException e) {
                switch (e.reason()) {
                    case WRONG_PASSPHRASE_OR_TAMPERED ->
                            throw new UserError(
                                    "Wrong passphrase for the identity in "
                                            + home
                                            + " (or the file was altered): nothing was changed.",
                                    e);
                    case IO_ERROR ->
                            throw new UserError(
                                    "Cannot rewrite "
                                            + h.identity()
                                            + ": "
                                            + e.getMessage()
                                            + "; it still opens with the old passphrase.",
                                    ExitCode.USER_ERROR,
                                    e);
                    default ->
                            throw new UserError(
                                    "Cannot change the passphrase of "
                                            + h.identity()
                                            + ": "
                                            + e.getMessage(),
                                    e);
                }
            }
        }
        out.event(
                "passphrase_changed",
                "The passphrase of "
                        + h.identity()
                        + " is changed: only the new one opens it now (the key and the chat"
                        + " history stay the same).",
                "file",
                h.identity().toString());
        return 0;
    }

    private void checkOpens(Home h, char[] passphrase) {
        try {
            IdentityStore.create().load(h.identity(), passphrase);
        } catch (IdentityStoreException e) {
            if (e.reason() == IdentityStoreException.Reason.WRONG_PASSPHRASE_OR_TAMPERED) {
                throw new UserError(
                        "Wrong passphrase for the identity in "
                                + home
                                + " (or the file was altered): nothing was changed.",
                        e);
            }
            throw new UserError(
                    "Cannot open the identity in " + home + ": " + e.getMessage(),
                    ExitCode.CORRUPT_DATA,
                    e);
        }
    }

    private char[] readNew() {
        char[] p = readNewUnchecked();
        if (!insecurePassphrase) {
            try {
                Passphrases.checkStrength(p);
            } catch (UserError e) {
                Arrays.fill(p, '\0');
                throw new UserError(e.getMessage() + " Nothing was changed.", e);
            }
        }
        return p;
    }

    private char[] readNewUnchecked() {
        if (newPassphraseFile != null || System.getenv(NEW_ENV) != null) {
            char[] p =
                    newPassphraseFile != null
                            ? Passphrases.read(newPassphraseFile, false)
                            : System.getenv(NEW_ENV).toCharArray();
            if (p.length == 0) {
                throw new UserError("An empty passphrase is not allowed.");
            }
            return p;
        }
        java.io.Console console = System.console();
        if (console == null) {
            throw new UserError(
                    "No new passphrase: this is not a terminal, so set "
                            + NEW_ENV
                            + " or use --new-passphrase-file.");
        }
        char[] first = console.readPassword("New passphrase: ");
        char[] second = console.readPassword("Repeat the new passphrase: ");
        boolean same = first != null && first.length > 0 && Arrays.equals(first, second);
        if (second != null) {
            Arrays.fill(second, '\0');
        }
        if (!same) {
            if (first != null) {
                Arrays.fill(first, '\0');
            }
            throw new UserError("The two new passphrases differ (or are empty): nothing changed.");
        }
        return first;
    }

    /**
     * The ledger's lock of a home ({@code ledger/ledger.lock}, the one a running node holds), taken
     * so that no node starts while the identity file is rewritten.
     */
    static final class HomeLock implements AutoCloseable {
        private final FileChannel channel;
        private final FileLock lock;

        private HomeLock(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        /** Takes the lock, or refuses while a node runs; null when the home has no ledger yet. */
        static HomeLock acquire(Home h) {
            Path file = h.ledger().resolve("ledger.lock");
            if (!Files.exists(file)) {
                return null;
            }
            FileChannel ch;
            try {
                ch = FileChannel.open(file, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new UserError("Cannot open " + file + ": " + e.getMessage(), e);
            }
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException | IOException e) {
                lock = null;
            }
            if (lock == null) {
                closeQuietly(ch);
                throw new UserError(
                        "A node is running on "
                                + h.dir()
                                + ": stop it (/quit) before changing the passphrase.");
            }
            return new HomeLock(ch, lock);
        }

        @Override
        public void close() {
            try {
                lock.release();
            } catch (IOException e) {
                // closing the channel releases it too
            }
            closeQuietly(channel);
        }

        private static void closeQuietly(FileChannel ch) {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing more to do
            }
        }
    }
}
