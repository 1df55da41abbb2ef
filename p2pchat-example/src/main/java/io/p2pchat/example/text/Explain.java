package io.p2pchat.example.text;

import static io.p2pchat.example.text.TerminalText.escape;

import io.netty.channel.ConnectTimeoutException;
import io.p2pchat.channel.AlertCode;
import io.p2pchat.channel.ErrorCode;
import io.p2pchat.channel.PeerAlertException;
import io.p2pchat.channel.PeerVerificationException;
import io.p2pchat.ledger.model.LedgerStorageException;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Turns the failures of the library into sentences a person understands. No stack traces: with
 * {@code --verbose}, the caller prints those. What a sentence quotes (a target, the message of an
 * exception) is rendered with {@link io.p2pchat.example.text.TerminalText#escape}.
 */
public final class Explain {
    private Explain() {}

    /** The innermost meaningful cause, skipping future and completion wrappers. */
    public static Throwable unwrap(Throwable t) {
        Throwable c = t;
        for (int i = 0;
                i < 8
                        && (c instanceof ExecutionException || c instanceof CompletionException)
                        && c.getCause() != null;
                i++) {
            c = c.getCause();
        }
        return c;
    }

    /**
     * Why a connection to {@code target} ("bob at 127.0.0.1:7001") failed, as one sentence without
     * a final period.
     */
    public static String connectFailure(String target, Throwable failure) {
        Throwable t = unwrap(failure);
        String where = escape(target);
        if (t instanceof ConnectTimeoutException) {
            return "No answer from "
                    + where
                    + " (connection timed out): is the address right, and is a firewall in the"
                    + " way?";
        }
        if (t instanceof ConnectException) {
            return "Nobody is listening at "
                    + where
                    + " (connection refused): is that node running, on that port?";
        }
        if (t instanceof NoRouteToHostException) {
            return "No route to " + where + ": is the address right, and the network up?";
        }
        if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
            return "Unknown host in " + where + ": check the spelling of the address";
        }
        String auth = authentication(t);
        if (auth != null) {
            return "Connection to " + where + " refused: " + auth;
        }
        String message = t.getMessage() == null ? t.toString() : t.getMessage();
        if (message.contains("closed before the handshake completed")) {
            return "The peer at "
                    + where
                    + " closed the connection during the handshake (it may be full, or be"
                    + " slowing down this address after repeated failed connections: try again"
                    + " in a minute)";
        }
        if (message.contains("peer banned")) {
            return "The peer at " + where + " is banned here for misbehaving";
        }
        return "Cannot connect to " + where + ": " + escape(message);
    }

    /**
     * The reason of a rejected authentication, or null when {@code t} is not one: what our own
     * verifier found (precise), or what the peer's alert says (coarse: the peer never tells why).
     */
    public static String authentication(Throwable failure) {
        Throwable t = unwrap(failure);
        ErrorCode code = ErrorCode.of(t);
        if (code == null) {
            return null;
        }
        String detail = verifierDetail(t);
        switch (code) {
            case UNKNOWN_IDENTITY:
                return "its key is not registered on your ledger" + suffix(detail);
            case IDENTITY_REVOKED:
                return "its identity was revoked on the ledger" + suffix(detail);
            case IDENTITY_KEY_MISMATCH:
            case KEY_CHANGED:
            case ID_KEY_MISMATCH:
                return "KEY CHANGED: the key it presented is not the current key of its"
                        + " identity on your ledger"
                        + suffix(detail);
            case INSUFFICIENT_CONFIRMATIONS:
                return "its registration is not confirmed yet" + suffix(detail);
            case NOT_ON_BEST_CHAIN:
                return "its certificate is from a block that is not on your best chain"
                        + suffix(detail);
            case BAD_CERTIFICATE:
            case BAD_INCLUSION_PROOF:
                return "it presented a forged or broken ledger certificate" + suffix(detail);
            case ADDRESS_NOT_BOUND:
                return "it connects from an address that is not registered for it" + suffix(detail);
            case WRONG_NETWORK:
                return "it belongs to another ledger network (another genesis)";
            case CREDENTIAL_EXPIRED:
                return "its short-lived signing credential is expired or not valid yet: check"
                        + " the clock of both machines"
                        + suffix(detail);
            case BAD_CREDENTIAL:
                return "it presented a broken or forged signing credential" + suffix(detail);
            case BAD_SIGNATURE:
            case BAD_FINISHED:
            case BAD_KEY_SHARE:
            case BAD_RECORD_MAC:
                return "its handshake did not verify (" + code + "): tampering, or a broken peer";
            case REFLECTION_DETECTED:
                return "that address is this very node";
            case HANDSHAKE_TIMEOUT:
                return "the handshake did not finish in time";
            case BUSY:
            case RATE_LIMIT:
                return "the peer is too busy right now; try again";
            case PEER_ALERT:
                if (t instanceof PeerAlertException) {
                    AlertCode alert = ((PeerAlertException) t).alert();
                    switch (alert) {
                        case AUTH_FAILED:
                            return "the peer did not accept your identity (AUTH_FAILED): your key"
                                    + " may be revoked or unknown on its ledger";
                        case POLICY:
                            return "the peer refused by policy: it is on another network, or does"
                                    + " not serve newcomers";
                        case RESOURCE_LIMIT:
                            return "the peer is at a limit (too busy or too many connections)";
                        case TIMEOUT:
                            return "the peer timed out";
                        default:
                            return "the peer closed the channel with " + alert;
                    }
                }
                return "the peer closed the channel with an error";
            default:
                return code + suffix(t.getMessage());
        }
    }

    /** The precise message of our own verifier's rejection, if the chain holds one. */
    private static String verifierDetail(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof PeerVerificationException) {
                return c.getMessage();
            }
        }
        return null;
    }

    private static String suffix(String detail) {
        return detail == null || detail.isBlank() ? "" : " (" + escape(detail) + ")";
    }

    /** Why the server could not listen on {@code hostPort}. */
    public static String bindFailure(String hostPort, Throwable failure) {
        Throwable t = unwrap(failure);
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof BindException) {
                String m = String.valueOf(c.getMessage());
                if (m.contains("in use")) {
                    return "Cannot listen on "
                            + hostPort
                            + ": the port is already in use (is another node running there?)."
                            + " Choose another port with --listen HOST:PORT.";
                }
                if (m.contains("assign") || m.contains("not available")) {
                    return "Cannot listen on "
                            + hostPort
                            + ": that host is not an address of this machine.";
                }
                if (m.contains("ermission")) {
                    return "Cannot listen on "
                            + hostPort
                            + ": permission denied (ports below 1024 need privileges).";
                }
                return "Cannot listen on " + hostPort + ": " + escape(m) + ".";
            }
        }
        return "Cannot listen on " + hostPort + ": " + escape(t.getMessage()) + ".";
    }

    /**
     * The exit code of a ledger that cannot be opened: {@link ExitCode#CORRUPT_DATA} when what is
     * stored is damaged or belongs to another network, {@link ExitCode#USER_ERROR} otherwise (a
     * running node holds it, a file cannot be read).
     */
    public static ExitCode ledgerOpenExitCode(LedgerStorageException e) {
        switch (e.error()) {
            case CORRUPT_LEDGER:
            case WRONG_NETWORK:
                return ExitCode.CORRUPT_DATA;
            default:
                return ExitCode.USER_ERROR;
        }
    }

    /**
     * Why a file-system operation failed, as one sentence with the fix: {@code action} says what
     * was tried ("Cannot create the home /h"), the reason and the fix come from the innermost
     * {@link FileSystemException} (or other {@link IOException}) of {@code failure}. Never the
     * exception's class name, and the path only where it adds something (the file the system
     * complained about when it is not the one the action names).
     */
    public static String fileProblem(String action, Throwable failure) {
        FileSystemException fse = innermost(failure, FileSystemException.class);
        IOException io = innermost(failure, IOException.class);
        if (fse == null) {
            String reason = io != null ? io.getMessage() : unwrap(failure).getMessage();
            if (reason != null && reason.contains("Is a directory")) {
                return action + ": it is a directory, not a file. Give the path of a file.";
            }
            return action
                    + ": "
                    + escape(reason == null ? "an input/output error" : reason)
                    + ". Check the disk and the path, then try again.";
        }
        String file = fse.getFile() == null ? "the file" : fse.getFile();
        String reason = fse.getReason() == null ? "" : fse.getReason();
        // The file the system named, unless the action names it or its directory already (an
        // atomic write's temporary file is no news).
        Path parent = Path.of(file).getParent();
        String where =
                action.contains(file) || (parent != null && action.contains(parent.toString()))
                        ? ""
                        : " (" + escape(file) + ")";
        if (fse instanceof NoSuchFileException) {
            return action + ": " + escape(file) + " does not exist. Check the path.";
        }
        if (fse instanceof AccessDeniedException || reason.contains("Permission denied")) {
            return action
                    + ": permission denied"
                    + where
                    + ". Check who owns it and its permissions (ls -ld "
                    + escape(file)
                    + "), or choose a place you own.";
        }
        if (reason.contains("Read-only file system")) {
            return action
                    + ": the file system is read-only"
                    + where
                    + ". Choose a place on a writable disk (for a home: --home), or remount it"
                    + " read-write.";
        }
        if (fse instanceof NotDirectoryException || reason.contains("Not a directory")) {
            String blocker = fileInTheWay(Path.of(file));
            return action
                    + ": "
                    + escape(blocker)
                    + " is a file, not a directory. Choose another path, or move that file away.";
        }
        if (fse instanceof FileAlreadyExistsException) {
            return action
                    + ": "
                    + escape(file)
                    + " already exists. Move it away, or choose another.";
        }
        if (reason.contains("Is a directory")) {
            return action + ": " + escape(file) + " is a directory, not a file. Give a file.";
        }
        if (reason.contains("No space left")) {
            return action + ": the disk is full" + where + ". Free some space and try again.";
        }
        return action
                + ": "
                + escape(reason.isEmpty() ? fse.getClass().getSimpleName() : reason)
                + where
                + ". Check the disk and the path, then try again.";
    }

    /** The first ancestor of {@code path} (itself included) that exists and is not a directory. */
    private static String fileInTheWay(Path path) {
        for (Path p = path.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                return p.toString();
            }
        }
        return path.toString();
    }

    /** The innermost cause of {@code t} (itself included) of {@code type}, or null. */
    private static <T extends Throwable> T innermost(Throwable t, Class<T> type) {
        T found = null;
        for (int i = 0; t != null && i < 16; t = t.getCause(), i++) {
            if (type.isInstance(t)) {
                found = type.cast(t);
            }
        }
        return found;
    }

    /** What a ledger that cannot be opened means for the person. */
    public static String ledgerOpenFailure(Path home, LedgerStorageException e) {
        return ledgerOpenFailure(home, e, false);
    }

    /** Same, for the node command when {@code starting} a node. */
    public static String ledgerOpenFailure(Path home, LedgerStorageException e, boolean starting) {
        switch (e.error()) {
            case DATADIR_LOCKED:
                if (starting) {
                    return "A node is already running with the home "
                            + home
                            + " (its ledger is locked: DATADIR_LOCKED). One node per home: use"
                            + " that node's console, or another home.";
                }
                return "The ledger in "
                        + home
                        + " is in use by another p2pchat process (DATADIR_LOCKED): a running node"
                        + " holds it. Stop that node first, or use /ledger in its console.";
            case WRONG_NETWORK:
                return "The ledger in " + home + " belongs to another network (WRONG_NETWORK).";
            case CORRUPT_LEDGER:
                return "The ledger in "
                        + home
                        + " is damaged: "
                        + escape(e.getMessage())
                        + ". Move "
                        + home.resolve("ledger")
                        + " away to re-sync it from the network.";
            default:
                if (innermost(e.getCause(), IOException.class) != null) {
                    return fileProblem("Cannot open the ledger in " + home, e.getCause());
                }
                return "Cannot open the ledger in " + home + ": " + escape(e.getMessage());
        }
    }
}
