package io.p2pchat.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.lang.ArchRule;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * p2pchat-ledger's architecture (docs/architecture.md): no package cycle, the layers ledger.model,
 * ledger.store, ledger.chain, ledger, ledger.sync, node read bottom-up and use of p2pchat-core only
 * what it exports (crypto and util by qualified export), exported signatures name exported types
 * only, and the public API is the one architecture.md lists.
 */
class LedgerArchitectureTest {
    static final Set<String> EXPORTED =
            Set.of(
                    "io.p2pchat.ledger",
                    "io.p2pchat.ledger.model",
                    "io.p2pchat.ledger.sync",
                    "io.p2pchat.node");

    private static final Set<String> CORE_EXPORTED =
            Set.of("io.p2pchat.channel", "io.p2pchat.identity", "io.p2pchat.verify");

    static final ArchitectureRules.Layers LAYERS =
            new ArchitectureRules.Layers(
                    "io.p2pchat",
                    List.of(
                            "io.p2pchat.ledger.model",
                            "io.p2pchat.ledger.store",
                            "io.p2pchat.ledger.chain",
                            "io.p2pchat.ledger",
                            "io.p2pchat.ledger.sync",
                            "io.p2pchat.node"),
                    EXPORTED,
                    union(
                            CORE_EXPORTED,
                            Set.of("io.p2pchat.proto", "io.p2pchat.crypto", "io.p2pchat.util")));

    private static final JavaClasses CLASSES =
            ArchitectureRules.importMain("io.p2pchat.ledger", "io.p2pchat.node");

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.addAll(b);
        return out;
    }

    @Test
    void importsTheWholeModule() {
        assertThat(CLASSES.containPackage("io.p2pchat.ledger.chain")).isTrue();
        assertThat(CLASSES.containPackage("io.p2pchat.node")).isTrue();
        assertThat(CLASSES.size()).isGreaterThan(60);
    }

    @Test
    void noPackageCycle() {
        ArchitectureRules.noCycles("io.p2pchat").check(CLASSES);
    }

    @Test
    void layersReadBottomUp() {
        for (ArchRule rule : ArchitectureRules.layering(LAYERS)) {
            rule.check(CLASSES);
        }
    }

    @Test
    void exportedSignaturesNameOnlyExportedTypes() {
        Set<String> visible = union(union(EXPORTED, CORE_EXPORTED), Set.of("io.p2pchat.proto"));
        ArchitectureRules.exportedSignaturesUseExportedTypes(LAYERS, visible).check(CLASSES);
    }

    @Test
    void publicApiIsTheOneArchitectureMdLists() throws Exception {
        assertThat(ArchitectureRules.publicTypes(CLASSES, EXPORTED))
                .isEqualTo(
                        ArchitectureRules.documentedApi(
                                Path.of("..", "docs", "architecture.md"), "p2pchat-ledger"));
    }
}
