package io.p2pchat.example.text;

/** How people start this program, for the commands that the client's texts suggest. */
public final class Program {
    private Program() {}

    /** The command that starts p2pchat here ({@code p2pchat}, or the launcher's own name). */
    public static String command() {
        return System.getProperty("p2pchat.command", "p2pchat");
    }
}
