package dev.engine.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package layering the modules promise (README, "Architecture"): each layer uses only the layers
 * below it, no two packages import each other, and no library code names a concrete backend (backends
 * are found through {@code dev.engine.api.Backends}).
 */
class LayeringTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.engine");
        for (String layer : new String[] {"api", "autograd", "graph", "nn", "data", "inference", "train", "spark"}) {
            assertTrue(main.stream().anyMatch(c -> c.getPackageName().startsWith("dev.engine." + layer)),
                    "no classes of dev.engine." + layer + " on the test class path");
        }
    }

    @Test
    void layersUseOnlyTheLayersBelow() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("api").definedBy("dev.engine.api..")
                .layer("autograd").definedBy("dev.engine.autograd..")
                .layer("graph").definedBy("dev.engine.graph..")
                .layer("nn").definedBy("dev.engine.nn..", "dev.engine.optim..")
                .layer("data").definedBy("dev.engine.data..", "dev.engine.io..")
                .layer("inference").definedBy("dev.engine.inference..")
                .layer("train").definedBy("dev.engine.train..")
                .layer("spark").definedBy("dev.engine.spark..")
                .whereLayer("spark").mayNotBeAccessedByAnyLayer()
                .whereLayer("train").mayOnlyBeAccessedByLayers("spark")
                .whereLayer("inference").mayOnlyBeAccessedByLayers("train", "spark")
                .whereLayer("data").mayOnlyBeAccessedByLayers("inference", "train", "spark")
                .whereLayer("nn").mayOnlyBeAccessedByLayers("data", "inference", "train", "spark")
                .whereLayer("graph").mayOnlyBeAccessedByLayers("nn", "data", "inference", "train", "spark")
                .whereLayer("autograd").mayOnlyBeAccessedByLayers("graph", "nn", "data", "inference", "train", "spark")
                .check(main);
    }

    @Test
    void noPackageCycles() {
        slices().matching("dev.engine.(*)..").should().beFreeOfCycles().check(main);
    }

    @Test
    void libraryCodeNamesNoConcreteBackend() {
        noClasses().that().resideInAnyPackage("dev.engine.api..", "dev.engine.autograd..", "dev.engine.graph..",
                        "dev.engine.nn..", "dev.engine.optim..", "dev.engine.data..", "dev.engine.io..",
                        "dev.engine.inference..", "dev.engine.train..", "dev.engine.spark..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.engine.cpu..", "dev.engine.cuda..")
                .check(main);
    }
}
