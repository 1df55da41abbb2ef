package io.p2pchat.ledger.model;

/**
 * Display-name syntax: 1 to 32 characters of {@code [a-z0-9._-]}, the first a letter or digit.
 * Lower-case ASCII only, so that no two names look alike.
 */
public final class Names {
    private Names() {}

    /** Why {@code name} is not a valid display name, or null when it is. */
    public static String problem(String name) {
        if (name.isEmpty() || name.length() > NetworkParameters.MAX_NAME_LENGTH) {
            return "name length "
                    + name.length()
                    + " (expected: 1.."
                    + NetworkParameters.MAX_NAME_LENGTH
                    + ")";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) {
                return "name character "
                        + (int) c
                        + " at "
                        + i
                        + " (expected: [a-z0-9._-], first [a-z0-9])";
            }
        }
        return null;
    }
}
