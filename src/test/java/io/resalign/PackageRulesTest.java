package io.resalign;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Holds the service's classes to the package rules of docs/architecture.md: no package cycles,
 * each package importing only the resalign packages below it, and the computing core (engine,
 * drift, sample, config, service) free of the frameworks around it. The rules read the compiled
 * classes, so a fully qualified name in code counts like an import and a name in a comment does
 * not. The class files miss one thing, a constant of another package, which the compiler copies
 * into the class that names it; so the import rules and the cycle rule are also applied to the
 * sources ({@link SourceDependencies}). Further tests run the same rules on deliberately broken
 * fixtures ({@code io.resalign.packagerules}), to show that each kind of rule can fail.
 */
class PackageRulesTest {

    /**
     * Which resalign packages each package may use, besides itself; a package not listed uses none.
     * The order is the layering, bottom first. "x.." means x and its subpackages.
     */
    static Map<String, List<String>> allowed() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("config", List.of());
        m.put("engine..", List.of("engine.."));
        m.put("drift", List.of("engine.metrics"));
        m.put("sample", List.of("engine.model"));
        m.put("sample.file", List.of("sample"));
        m.put("service", List.of("engine..", "drift", "sample"));
        m.put("metrics", List.of("engine..", "drift", "sample", "service"));
        m.put("streams.record", List.of("sample"));
        m.put("embedded", List.of("config"));
        m.put("streams", List.of("config", "engine..", "drift", "sample", "service", "metrics", "streams.record"));
        m.put("api", List.of("config", "drift", "sample", "service", "metrics", "streams"));
        m.put("demo", List.of("config", "embedded", "sample", "sample.file"));
        m.put("cli", List.of("engine..", "drift", "sample", "sample.file"));
        m.put("train", List.of("engine..", "sample", "sample.file"));
        m.put("repro", List.of("engine..", "sample", "sample.file", "train"));
        return m;
    }

    /** Frameworks a package must not touch directly: the computing core stays usable from a plain main. */
    static Map<String, List<String>> forbidden() {
        List<String> frameworks = List.of("org.apache.kafka..", "io.quarkus..", "jakarta..", "io.micrometer..",
                "io.smallrye..", "org.eclipse.microprofile..");
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("engine..", frameworks);
        m.put("sample..", concat(frameworks, List.of("ai.djl..")));
        m.put("service", frameworks);
        m.put("streams.record", List.of("org.apache.kafka.streams..", "io.quarkus..", "jakarta..", "ai.djl..", "io.micrometer.."));
        return m;
    }

    /** Packages whose classes may use only the JDK (and the resalign packages {@link #allowed()} gives them). */
    static Map<String, List<String>> onlyJdk() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("drift", List.of());
        // SmallRye's mapping annotations are the one thing config needs beyond the JDK.
        m.put("config", List.of("io.smallrye.config..", "org.eclipse.microprofile.config.."));
        return m;
    }

    /** Returns every rule for the packages under {@code root}. */
    static List<ArchRule> rules(String root) {
        List<ArchRule> rules = new ArrayList<>();
        rules.add(slices().matching(root + ".(**)").should().beFreeOfCycles()
                .as("packages under " + root + " have no cycles"));
        Map<String, List<String>> forbidden = forbidden();
        Map<String, List<String>> jdkOnly = onlyJdk();
        for (Map.Entry<String, List<String>> e : allowed().entrySet()) {
            String pkg = root + "." + e.getKey();
            List<String> ok = new ArrayList<>(List.of(pkg));
            e.getValue().forEach(a -> ok.add(root + "." + a));
            DescribedPredicate<JavaClass> inOk = JavaClass.Predicates.resideInAnyPackage(ok.toArray(String[]::new));
            DescribedPredicate<JavaClass> outsideRoot = JavaClass.Predicates.resideOutsideOfPackage(root + "..");
            rules.add(classes().that().resideInAPackage(pkg)
                    .should().onlyDependOnClassesThat(outsideRoot.or(inOk))
                    .as(pkg + " uses only " + ok)
                    .allowEmptyShould(true));
            if (jdkOnly.containsKey(e.getKey())) {
                List<String> jdk = new ArrayList<>(ok);
                jdk.add("java..");
                jdk.addAll(jdkOnly.get(e.getKey()));
                rules.add(classes().that().resideInAPackage(pkg)
                        .should().onlyDependOnClassesThat().resideInAnyPackage(jdk.toArray(String[]::new))
                        .as(pkg + " uses only the JDK and " + jdk)
                        .allowEmptyShould(true));
            }
        }
        for (Map.Entry<String, List<String>> e : forbidden.entrySet()) {
            String pkg = root + "." + e.getKey();
            rules.add(noClasses().that().resideInAPackage(pkg)
                    .should().dependOnClassesThat().resideInAnyPackage(e.getValue().toArray(String[]::new))
                    .as(pkg + " uses none of " + e.getValue())
                    .allowEmptyShould(true));
        }
        return rules;
    }

    @Test
    void shouldKeepEveryPackageRuleInTheServiceClasses() {
        JavaClasses service = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.resalign");
        assertTrue(service.size() > 150, "imported only " + service.size() + " classes: the rules would check nothing");
        List<String> broken = new ArrayList<>();
        for (ArchRule rule : rules("io.resalign")) {
            EvaluationResult result = rule.evaluate(service);
            if (result.hasViolation()) {
                broken.add(result.getFailureReport().toString());
            }
        }
        assertTrue(broken.isEmpty(), String.join("\n\n", broken));
    }

    @Test
    void shouldEveryPackageOfTheRulesExistSoNoRuleChecksNothing() {
        JavaClasses service = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.resalign");
        for (String pkg : allowed().keySet()) {
            String name = "io.resalign." + pkg.replace("..", "");
            assertTrue(service.stream().anyMatch(c -> c.getPackageName().equals(name)),
                    "the rules name package " + name + " but it has no classes: update allowed() and docs/architecture.md");
        }
        for (JavaClass c : service) {
            String pkg = c.getPackageName();
            assertTrue(pkg.equals("io.resalign") || allowed().keySet().stream().anyMatch(k -> covers(k, pkg)),
                    "package " + pkg + " of " + c.getName() + " has no rule: add it to allowed() and docs/architecture.md");
        }
    }

    @Test
    void shouldFailOnACycleAForbiddenImportAndAnUpwardImportWhenTheFixturesBreakThem() {
        JavaClasses fixtures = new ClassFileImporter().importPackages("io.resalign.packagerules.cycle");
        assertFalse(fixtures.isEmpty(), "no fixture classes imported");
        String root = "io.resalign.packagerules.cycle";
        Map<String, Boolean> failed = new LinkedHashMap<>();
        for (ArchRule rule : rules(root)) {
            failed.put(rule.getDescription(), rule.evaluate(fixtures).hasViolation());
        }
        // config.Settings -> streams.Wiring -> config.Settings: a cycle, and config importing another package.
        assertTrue(failed.get("packages under " + root + " have no cycles"), failed.toString());
        assertTrue(failed.get(root + ".config uses only [" + root + ".config]"), failed.toString());
        // engine.Kernel names a Kafka class.
        assertTrue(failed.get(root + ".engine.. uses none of " + forbidden().get("engine..")), failed.toString());
        // streams may use config: that rule holds on the fixtures, so the rules do not fail everything.
        assertFalse(failed.get(root + ".streams uses only " + Stream.of("streams", "config", "engine..", "drift", "sample",
                "service", "metrics", "streams.record").map(p -> root + "." + p).toList()), failed.toString());
    }

    @Test
    void shouldKeepEveryPackageRuleInTheServiceSourcesIncludingCopiedConstants() {
        SourceDependencies sources = SourceDependencies.scan(Path.of("src/main/java"), "io.resalign");
        assertTrue(sources.uses().size() > 15, "found only " + sources.uses().keySet() + ": the rules would check nothing");
        List<String> broken = sourceViolations(sources, "io.resalign");
        assertTrue(broken.isEmpty(), String.join("\n", broken));
    }

    @Test
    void shouldFailOnACycleThroughACopiedConstantThatTheClassFilesDoNotShow() {
        String root = "io.resalign.packagerules.constant";
        SourceDependencies sources = SourceDependencies.scan(Path.of("src/test/java/io/resalign/packagerules/constant"), root);
        List<String> broken = sourceViolations(sources, root);
        // config.Defaults -> demo.Schedule.DEFAULT (a constant) and demo.Schedule -> config.Defaults
        assertTrue(broken.stream().anyMatch(b -> b.startsWith("cycle: " + root + ".config -> " + root + ".demo -> " + root + ".config")
                || b.startsWith("cycle: " + root + ".demo -> " + root + ".config -> " + root + ".demo")), String.join("\n", broken));
        assertTrue(broken.stream().anyMatch(b -> b.startsWith(root + ".config names " + root + ".demo")), String.join("\n", broken));
        // the class files alone miss it: the constant was copied into config.Defaults
        JavaClasses classes = new ClassFileImporter().importPackages(root);
        assertFalse(classes.isEmpty(), "no fixture classes imported");
        ArchRule configRule = rules(root).stream().filter(r -> r.getDescription().startsWith(root + ".config uses only "))
                .findFirst().orElseThrow();
        assertFalse(configRule.evaluate(classes).hasViolation(), "the bytecode rule saw the constant after all");
    }

    /** Applies {@link #allowed()} and the no-cycle rule to what the sources under {@code root} name. */
    static List<String> sourceViolations(SourceDependencies sources, String root) {
        List<String> broken = new ArrayList<>();
        for (List<String> cycle : sources.cycles()) {
            broken.add("cycle: " + String.join(" -> ", cycle));
        }
        for (Map.Entry<String, Set<String>> e : sources.uses().entrySet()) {
            String from = e.getKey();
            String rule = allowed().keySet().stream().filter(k -> covers(root, k, from)).findFirst().orElse(null);
            if (rule == null) {
                if (!from.equals(root)) {
                    broken.add(from + " has no rule in PackageRulesTest.allowed()");
                }
                continue;
            }
            for (String to : e.getValue()) {
                boolean ok = covers(root, rule, to) || allowed().get(rule).stream().anyMatch(a -> covers(root, a, to));
                if (!ok) {
                    broken.add(from + " names " + to + " (" + sources.where(from, to) + "); it may use only "
                            + allowed().get(rule));
                }
            }
        }
        return broken;
    }

    private static boolean covers(String rule, String pkg) {
        return covers("io.resalign", rule, pkg);
    }

    private static boolean covers(String root, String rule, String pkg) {
        String base = root + "." + rule.replace("..", "");
        return rule.endsWith("..") ? pkg.equals(base) || pkg.startsWith(base + ".") : pkg.equals(base);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return Stream.concat(a.stream(), b.stream()).toList();
    }
}
