package io.p2pchat.example;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks of the demo's wording as a newcomer reads it (issue 11). */
final class DemoWording {
    private static final Pattern MESSAGE = Pattern.compile("^(\\w+) -> (\\w+) +\"");
    private static final Pattern RECORD =
            Pattern.compile("^ +on the wire: DATA record, key epoch ([0-9]+)");
    private static final Pattern KEY_CHANGE =
            Pattern.compile("^ +key change +(\\w+) -> (\\w+) +epoch ([0-9]+) -> ([0-9]+)");

    private DemoWording() {}

    /**
     * A direction's key changes are printed in order and before the first record that uses the new
     * epoch: no record of epoch e shows up while the last change printed for its direction is to an
     * older epoch.
     */
    static void assertKeyChangesPrecedeTheirEpoch(List<String> lines) {
        Map<String, Long> epoch = new HashMap<>();
        String direction = null;
        int records = 0;
        for (String l : lines) {
            Matcher m = MESSAGE.matcher(l);
            if (m.find()) {
                direction = m.group(1) + "->" + m.group(2);
                continue;
            }
            m = KEY_CHANGE.matcher(l);
            if (m.find()) {
                String d = m.group(1) + "->" + m.group(2);
                long from = Long.parseLong(m.group(3));
                long to = Long.parseLong(m.group(4));
                assertThat(from).as(l).isEqualTo(epoch.getOrDefault(d, 1L));
                assertThat(to).as(l).isEqualTo(from + 1);
                epoch.put(d, to);
                continue;
            }
            m = RECORD.matcher(l);
            if (m.find() && direction != null) {
                records++;
                assertThat(Long.parseLong(m.group(1)))
                        .as("%s: its epoch's key change was printed before it", l)
                        .isEqualTo(epoch.getOrDefault(direction, 1L));
            }
        }
        assertThat(records).isGreaterThanOrEqualTo(8);
    }

    /** "1 rekey", "2 rekeys": no "1 rekeys", no "(s)" or "(es)". */
    static void assertCountedNounsAgree(String out) {
        assertThat(out).doesNotContain("(s)").doesNotContain("(es)");
        assertThat(out)
                .doesNotContainPattern(
                        "[^0-9]1 (rekeys|ratchets|key"
                            + " updates|hashes|records|peers|identities|confirmations|blocks|messages)\\b");
    }
}
