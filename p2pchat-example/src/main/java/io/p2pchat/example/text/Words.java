package io.p2pchat.example.text;

/** Counted nouns for people: "1 peer", "2 peers", "0 peers". */
public final class Words {
    private Words() {}

    /** {@code n} and the noun: {@code one} for 1, {@code many} otherwise. */
    public static String count(long n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }

    /** {@code n} and the noun, whose plural adds an "s" ("peer", "peers"). */
    public static String count(long n, String noun) {
        return count(n, noun, noun + "s");
    }
}
