package io.p2pchat.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The architecture rules every p2pchat module's build checks (docs/architecture.md, "Rules the
 * build checks"), written once for both modules and for the fixtures that prove each rule fails.
 *
 * <p>A module is described by its layers, bottom-up: each is one package of our code, exported or
 * not, and may depend only on its own package, the layers below it, and the packages of modules
 * below ({@link Layers#lower}). The rules:
 *
 * <ol>
 *   <li>{@link #noCycles}: no dependency cycle between packages (ArchUnit slices, every kind of
 *       dependency: imports, calls, fields, signatures, annotations).
 *   <li>{@link #layering}: a layer uses nothing above it.
 *   <li>{@link #exportedSignaturesUseExportedTypes}: a public or protected constructor, method or
 *       field of a type a client can reach in an exported package, and that type's supertypes, name
 *       only JDK and library types or public types of exported packages (generic arguments
 *       included), so nothing a client can call hands out or asks for a type it cannot name.
 * </ol>
 */
public final class ArchitectureRules {
    private ArchitectureRules() {}

    /**
     * The layers of a module.
     *
     * @param root the prefix every package of ours starts with ({@code io.p2pchat})
     * @param order this module's packages, bottom-up
     * @param exported those of {@code order} the module exports to everyone
     * @param lower packages of the modules below that this one may use (exported or qualified)
     */
    public record Layers(String root, List<String> order, Set<String> exported, Set<String> lower) {
        /**
         * Whether a client can name {@code type}: any type outside our packages, and ours when its
         * package is exported and it and its enclosing types are public.
         */
        boolean clientVisible(JavaClass type, Set<String> allExported) {
            return !type.getPackageName().startsWith(root + ".")
                    || (allExported.contains(type.getPackageName()) && publicChain(type));
        }
    }

    /** Whether {@code c} and every type enclosing it are public. */
    static boolean publicChain(JavaClass c) {
        for (JavaClass k = c; k != null; k = k.getEnclosingClass().orElse(null)) {
            if (!k.getModifiers().contains(JavaModifier.PUBLIC)) {
                return false;
            }
        }
        return true;
    }

    /** The main classes of the given packages (no tests, no test-jars) from the class path. */
    public static JavaClasses importMain(String... packages) {
        return new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages(packages);
    }

    /** Rule 1: the packages under {@code root} form no cycle. */
    public static ArchRule noCycles(String root) {
        return slices().matching(root + ".(**)")
                .should()
                .beFreeOfCycles()
                .because("packages read bottom-up (docs/architecture.md)");
    }

    /** Rule 2: each layer depends only on itself, the layers below and {@link Layers#lower}. */
    public static List<ArchRule> layering(Layers layers) {
        List<ArchRule> rules = new ArrayList<>();
        for (int i = 0; i < layers.order().size(); i++) {
            String pkg = layers.order().get(i);
            Set<String> allowed = new TreeSet<>(layers.lower());
            allowed.addAll(layers.order().subList(0, i + 1));
            rules.add(
                    classes()
                            .that()
                            .resideInAPackage(pkg)
                            .should()
                            .onlyDependOnClassesThat(notOurs(layers.root(), allowed))
                            .as(pkg + " uses only " + allowed + " of " + layers.root())
                            .because("the layers read bottom-up (docs/architecture.md)"));
        }
        return rules;
    }

    /** Classes outside our packages, or in one of {@code allowed}. */
    private static DescribedPredicate<JavaClass> notOurs(String root, Set<String> allowed) {
        return DescribedPredicate.describe(
                "are outside " + root + " or in " + allowed,
                c ->
                        !c.getPackageName().startsWith(root + ".")
                                || allowed.contains(c.getPackageName()));
    }

    /**
     * Rule 3: what a client can reach in an exported package names no type of a non-exported one.
     *
     * @param allExported every package exported by this module and the modules below
     */
    public static ArchRule exportedSignaturesUseExportedTypes(
            Layers layers, Set<String> allExported) {
        return classes()
                .that(reachable(layers.exported()))
                .should(exposeOnlyExportedTypes(layers, allExported))
                .as("public signatures in " + layers.exported() + " name only exported types")
                .because("a client cannot use a type its module does not export (module-info)")
                .allowEmptyShould(true);
    }

    /** Public types of the exported packages whose enclosing types are all public. */
    private static DescribedPredicate<JavaClass> reachable(Set<String> exported) {
        return DescribedPredicate.describe(
                "are public types of " + exported,
                c ->
                        exported.contains(c.getPackageName())
                                && !c.isAnonymousClass()
                                && publicChain(c));
    }

    private static ArchCondition<JavaClass> exposeOnlyExportedTypes(
            Layers layers, Set<String> allExported) {
        return new ArchCondition<>("expose only exported types") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                Map<String, Set<JavaClass>> exposed = new LinkedHashMap<>();
                c.getRawSuperclass().ifPresent(s -> exposed.put("superclass", Set.of(s)));
                for (JavaType i : c.getInterfaces()) {
                    exposed.put("interface " + i.getName(), i.getAllInvolvedRawTypes());
                }
                boolean extensible = !c.getModifiers().contains(JavaModifier.FINAL);
                for (JavaCodeUnit u : c.getCodeUnits()) {
                    if (!visible(u, extensible) || u.getName().equals("<clinit>")) {
                        continue;
                    }
                    Set<JavaClass> types = new TreeSet<>(ArchitectureRules::byName);
                    types.addAll(u.getReturnType().getAllInvolvedRawTypes());
                    for (JavaType p : u.getParameterTypes()) {
                        types.addAll(p.getAllInvolvedRawTypes());
                    }
                    types.addAll(u.getThrowsClause().getTypes());
                    exposed.put(u.getFullName(), types);
                }
                for (JavaField f : c.getFields()) {
                    if (visible(f, extensible)) {
                        exposed.put(f.getFullName(), f.getType().getAllInvolvedRawTypes());
                    }
                }
                exposed.forEach(
                        (where, types) -> {
                            for (JavaClass t : types) {
                                JavaClass base = t.isArray() ? t.getBaseComponentType() : t;
                                if (!layers.clientVisible(base, allExported)) {
                                    events.add(
                                            SimpleConditionEvent.violated(
                                                    c,
                                                    where
                                                            + " exposes "
                                                            + base.getName()
                                                            + ", which is not public in an"
                                                            + " exported package"));
                                }
                            }
                        });
            }
        };
    }

    private static int byName(JavaClass a, JavaClass b) {
        return a.getName().compareTo(b.getName());
    }

    /** Public, or protected in a class a client may extend. */
    private static boolean visible(JavaMember m, boolean extensible) {
        Set<JavaModifier> mods = m.getModifiers();
        return mods.contains(JavaModifier.PUBLIC)
                || (extensible && mods.contains(JavaModifier.PROTECTED));
    }

    /** The public top-level types of each exported package, by package then name. */
    public static Map<String, Set<String>> publicTypes(JavaClasses classes, Set<String> exported) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (String p : exported) {
            out.put(p, new TreeSet<>());
        }
        for (JavaClass c : classes) {
            if (exported.contains(c.getPackageName())
                    && c.isTopLevelClass()
                    && c.getModifiers().contains(JavaModifier.PUBLIC)) {
                out.get(c.getPackageName()).add(c.getSimpleName());
            }
        }
        return out;
    }

    private static final Pattern API_LINE =
            Pattern.compile("^- `(io\\.p2pchat[a-z.]*)` \\((\\d+)\\): (.*)$");

    /**
     * The public API as docs/architecture.md lists it, for the packages of one module: lines {@code
     * - `package` (n): A, B, C} under the heading {@code ### moduleName}.
     */
    public static Map<String, Set<String>> documentedApi(Path architectureMd, String moduleName)
            throws IOException {
        Map<String, Set<String>> out = new TreeMap<>();
        boolean inModule = false;
        for (String line : Files.readAllLines(architectureMd, StandardCharsets.UTF_8)) {
            if (line.startsWith("#")) {
                inModule = line.equals("### " + moduleName);
                continue;
            }
            Matcher m = API_LINE.matcher(line);
            if (inModule && m.matches()) {
                Set<String> names = new TreeSet<>();
                for (String n : m.group(3).split(",")) {
                    names.add(n.trim());
                }
                if (names.size() != Integer.parseInt(m.group(2))) {
                    throw new IllegalStateException(
                            m.group(1)
                                    + " lists "
                                    + names.size()
                                    + " types but says "
                                    + m.group(2));
                }
                out.put(m.group(1), names);
            }
        }
        return out;
    }
}
