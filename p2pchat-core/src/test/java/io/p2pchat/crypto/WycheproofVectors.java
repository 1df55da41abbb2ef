package io.p2pchat.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Project Wycheproof test vectors (src/test/resources/wycheproof, see its README.md) and the books
 * a suite keeps over one file (ATTACKS.md C-08).
 *
 * <p>A suite hands every vector of a file to its {@link Tally}, either to {@link Tally#run} or to
 * {@link Tally#skip} under a named {@link SkipRule}. {@link Tally#assertComplete} then fails unless
 * no check failed, every vector was accounted for exactly once, {@code ran + skipped ==
 * numberOfTests}, and the counts per rule are the ones the suite expects. Each failure names the
 * vector by tcId, flags, result and comment.
 */
final class WycheproofVectors {
    private static final String RESOURCE_DIR = "/wycheproof/";
    private static final HexFormat HEX = HexFormat.of();
    private static final int MAX_FAILURE_LENGTH = 400;
    private static final int MAX_FAILURES_SHOWN = 100;

    private WycheproofVectors() {}

    /** Loads {@code fileName} from the test classpath, checking its test count. */
    static VectorFile load(String fileName) {
        String path = RESOURCE_DIR + fileName;
        try (InputStream in = WycheproofVectors.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("test resource not found: " + path);
            }
            try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                return new VectorFile(fileName, JsonParser.parseReader(reader).getAsJsonObject());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    /** The expected outcome of a vector. */
    enum Result {
        VALID,
        ACCEPTABLE,
        INVALID
    }

    /** A reason, written down, for not running a vector through a wrapper. */
    record SkipRule(String id, String reason) {
        @Override
        public String toString() {
            return id;
        }
    }

    /** A check of one vector; it fails by throwing (usually an AssertJ {@link AssertionError}). */
    @FunctionalInterface
    interface Check {
        void run() throws Exception;
    }

    /** One parsed file. */
    static final class VectorFile {
        private final String name;
        private final String algorithm;
        private final int numberOfTests;
        private final List<Group> groups = new ArrayList<>();
        private final List<Vector> vectors = new ArrayList<>();

        private VectorFile(String name, JsonObject json) {
            this.name = name;
            this.algorithm = json.get("algorithm").getAsString();
            this.numberOfTests = json.get("numberOfTests").getAsInt();
            for (JsonElement g : json.getAsJsonArray("testGroups")) {
                Group group = new Group(g.getAsJsonObject());
                groups.add(group);
                vectors.addAll(group.tests);
            }
            if (vectors.size() != numberOfTests) {
                throw new IllegalStateException(
                        name
                                + ": numberOfTests is "
                                + numberOfTests
                                + " but the groups hold "
                                + vectors.size()
                                + " tests");
            }
        }

        String name() {
            return name;
        }

        String algorithm() {
            return algorithm;
        }

        int numberOfTests() {
            return numberOfTests;
        }

        List<Group> groups() {
            return Collections.unmodifiableList(groups);
        }

        /** Every vector of every group, in file order. */
        List<Vector> vectors() {
            return Collections.unmodifiableList(vectors);
        }

        /** Starts the books of one run over this file. */
        Tally tally() {
            return new Tally(this);
        }
    }

    /** A test group: shared parameters and its tests. */
    static final class Group {
        private final JsonObject json;
        private final List<Vector> tests = new ArrayList<>();

        private Group(JsonObject json) {
            this.json = json;
            for (JsonElement t : json.getAsJsonArray("tests")) {
                tests.add(new Vector(this, t.getAsJsonObject()));
            }
        }

        String string(String field) {
            return required(json, field).getAsString();
        }

        int integer(String field) {
            return required(json, field).getAsInt();
        }

        byte[] hex(String field) {
            return HEX.parseHex(string(field));
        }

        /** A hex field of an object of the group, such as {@code publicKey.pk}. */
        byte[] hex(String object, String field) {
            JsonObject o = required(json, object).getAsJsonObject();
            return HEX.parseHex(required(o, field).getAsString());
        }
    }

    /** One test vector. */
    static final class Vector {
        private final Group group;
        private final JsonObject json;
        private final int tcId;
        private final String comment;
        private final List<String> flags;
        private final Result result;

        private Vector(Group group, JsonObject json) {
            this.group = group;
            this.json = json;
            this.tcId = json.get("tcId").getAsInt();
            this.comment = json.has("comment") ? json.get("comment").getAsString() : "";
            List<String> f = new ArrayList<>();
            if (json.has("flags")) {
                JsonArray array = json.getAsJsonArray("flags");
                array.forEach(e -> f.add(e.getAsString()));
            }
            this.flags = Collections.unmodifiableList(f);
            this.result =
                    Result.valueOf(required(json, "result").getAsString().toUpperCase(Locale.ROOT));
        }

        Group group() {
            return group;
        }

        int tcId() {
            return tcId;
        }

        String comment() {
            return comment;
        }

        List<String> flags() {
            return flags;
        }

        boolean hasFlag(String flag) {
            return flags.contains(flag);
        }

        Result result() {
            return result;
        }

        boolean has(String field) {
            return json.has(field);
        }

        /** A hex field decoded to bytes; a fresh array on every call. */
        byte[] hex(String field) {
            return HEX.parseHex(required(json, field).getAsString());
        }

        int integer(String field) {
            return required(json, field).getAsInt();
        }

        @Override
        public String toString() {
            return "tcId "
                    + tcId
                    + " "
                    + flags
                    + " "
                    + result.name().toLowerCase(Locale.ROOT)
                    + (comment.isEmpty() ? "" : " \"" + comment + "\"");
        }
    }

    /** What one suite did with each vector of one file. */
    static final class Tally {
        private final VectorFile file;
        private final Set<Integer> accounted = new HashSet<>();
        private final Map<SkipRule, Integer> skipped = new LinkedHashMap<>();
        private final List<String> failures = new ArrayList<>();
        private int ran;

        private Tally(VectorFile file) {
            this.file = file;
        }

        /** Runs {@code check} on {@code vector}, counting it as run. */
        void run(Vector vector, Check check) {
            account(vector);
            ran++;
            execute(vector, "", check);
        }

        /**
         * Counts {@code vector} as skipped under {@code rule}, after checking the rule's premise
         * (for example, that the wrapper refuses the vector's parameters), so that a rule cannot
         * silently cover a vector it does not describe.
         */
        void skip(Vector vector, SkipRule rule, Check premise) {
            account(vector);
            skipped.merge(rule, 1, Integer::sum);
            execute(vector, "skip rule " + rule.id() + ": premise failed: ", premise);
        }

        int ran() {
            return ran;
        }

        int skipped() {
            return skipped.values().stream().mapToInt(Integer::intValue).sum();
        }

        /**
         * Fails unless every check passed, every vector of the file was accounted for once, {@code
         * ran + skipped == numberOfTests}, and the counts are exactly {@code expectedRan} and
         * {@code expectedSkipped}.
         */
        void assertComplete(int expectedRan, Map<SkipRule, Integer> expectedSkipped) {
            System.out.println(summary());
            if (!failures.isEmpty()) {
                fail("%d failing vector(s); %s:%n  %s", failures.size(), summary(), failureList());
            }
            assertThat(ran + skipped())
                    .as(
                            "%s: ran + skipped must equal numberOfTests (C-08); %s",
                            file.name, summary())
                    .isEqualTo(file.numberOfTests);
            assertThat(accounted)
                    .as("%s: every tcId accounted for exactly once", file.name)
                    .hasSize(file.numberOfTests);
            assertThat(ran).as("%s: vectors run; %s", file.name, summary()).isEqualTo(expectedRan);
            assertThat(skipped)
                    .as("%s: vectors skipped per rule; %s", file.name, summary())
                    .containsExactlyInAnyOrderEntriesOf(expectedSkipped);
        }

        /** {@code "file: ran R, skipped S (RULE: n, ...), total T"}. */
        String summary() {
            String rules =
                    skipped.entrySet().stream()
                            .map(e -> e.getKey().id() + ": " + e.getValue())
                            .collect(Collectors.joining(", "));
            return file.name
                    + ": ran "
                    + ran
                    + ", skipped "
                    + skipped()
                    + (rules.isEmpty() ? "" : " (" + rules + ")")
                    + ", total "
                    + file.numberOfTests;
        }

        private void account(Vector vector) {
            if (!accounted.add(vector.tcId())) {
                failures.add(vector + ": accounted for twice");
            }
        }

        private void execute(Vector vector, String prefix, Check check) {
            try {
                check.run();
            } catch (AssertionError | Exception e) {
                String message = String.valueOf(e).replaceAll("\\s+", " ");
                if (message.length() > MAX_FAILURE_LENGTH) {
                    message = message.substring(0, MAX_FAILURE_LENGTH) + "...";
                }
                failures.add(vector + ": " + prefix + message);
            }
        }

        private String failureList() {
            List<String> shown = failures.subList(0, Math.min(failures.size(), MAX_FAILURES_SHOWN));
            String more =
                    failures.size() > shown.size()
                            ? System.lineSeparator()
                                    + "  ... and "
                                    + (failures.size() - shown.size())
                                    + " more"
                            : "";
            return String.join(System.lineSeparator() + "  ", shown) + more;
        }
    }

    private static JsonElement required(JsonObject json, String field) {
        JsonElement e = json.get(field);
        if (e == null || e.isJsonNull()) {
            throw new IllegalArgumentException("missing field: " + field);
        }
        return e;
    }
}
