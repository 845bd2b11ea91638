package io.resalign.streams.record;

import io.resalign.sample.ModelSpec;
import io.resalign.sample.ModelsDirectoryCatalog;
import io.resalign.sample.RejectReason;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads catalogs from models directories laid out flat and by version. */
class ModelsDirectoryCatalogTest {

    @TempDir
    Path root;

    @Test
    void shouldListTwoModelsInTwoVersionsWhenTheDirectoryHoldsFourManifests() throws IOException {
        // Step 1: flat (one directory per version) and nested (model/version) layouts side by side.
        manifest(root.resolve("fashion-mlp-v1"), "fashion-mlp", "1", "[1, 28, 28]", 10);
        manifest(root.resolve("fashion-mlp-v2"), "fashion-mlp", "2", "[1, 28, 28]", 10);
        manifest(root.resolve("cifar-resnet/2024-01"), "cifar-resnet", "2024-01", "[3, 32, 32]", 10);
        manifest(root.resolve("cifar-resnet/2024-06"), "cifar-resnet", "2024-06", "[3, 32, 32]", 100);
        Files.writeString(root.resolve("README.md"), "not a model");

        // Step 2: read with a batch limit of 16.
        ModelsDirectoryCatalog catalog = ModelsDirectoryCatalog.read(root, 16);

        assertEquals(new TreeSet<>(Set.of("fashion-mlp", "cifar-resnet")), catalog.names());
        assertEquals(new TreeSet<>(Set.of("1", "2")), catalog.versions("fashion-mlp"));
        assertEquals(new TreeSet<>(Set.of("2024-01", "2024-06")), catalog.versions("cifar-resnet"));
        ModelSpec spec = catalog.find("cifar-resnet", "2024-06").orElseThrow();
        assertArrayEquals(new long[] {3, 32, 32}, spec.sampleShape());
        assertEquals(100, spec.numClasses());
        assertEquals(16L * 3 * 32 * 32, spec.maxElements());
        assertEquals(Optional.of(root.resolve("fashion-mlp-v2")), catalog.directory("fashion-mlp", "2"));
        assertEquals(Optional.empty(), catalog.find("fashion-mlp", "3"));
        assertTrue(catalog.versions("nope").isEmpty());
    }

    @Test
    void shouldDecodeAgainstTheCatalogWhenItComesFromADirectory() throws IOException {
        manifest(root.resolve("a"), "fashion-mlp", "1", "[1, 28, 28]", 10);
        manifest(root.resolve("b"), "fashion-mlp", "2", "[1, 28, 28]", 10);
        SampleDecoder decoder = new SampleDecoder(ModelsDirectoryCatalog.read(root));
        String data = "[" + "0,".repeat(783) + "255]";

        Decoded ok = decoder.decode("t", 0, 0, 0, null, RecordFixtures.bytes("{\"model_name\":\"fashion-mlp\",\"model_version\":\"2\","
                + "\"inputs\":[{\"name\":\"x\",\"shape\":[1,1,28,28],\"datatype\":\"UINT8\",\"data\":" + data + "}]}"));
        Decoded bad = decoder.decode("t", 0, 0, 0, null, RecordFixtures.bytes("{\"model_name\":\"fashion-mlp\",\"model_version\":\"3\","
                + "\"inputs\":[{\"name\":\"x\",\"shape\":[1,1,28,28],\"datatype\":\"UINT8\",\"data\":" + data + "}]}"));

        assertEquals(255f, ok.samples().get(0).data()[783]);
        RecordFixtures.assertRejected(bad, RejectReason.UNKNOWN_VERSION, "model_version");
    }

    @Test
    void shouldReadTheBundledModelsWhenPointedAtTheRepositoryModels() throws IOException {
        ModelsDirectoryCatalog catalog = ModelsDirectoryCatalog.read(Path.of("models"));

        ModelSpec demo = catalog.find("demo-mlp", "1").orElseThrow();
        assertArrayEquals(new long[] {1, 28, 28}, demo.sampleShape());
        assertEquals(10, demo.numClasses());
    }

    @Test
    void shouldFailNamingBothDirectoriesWhenTwoDeclareTheSameVersion() throws IOException {
        manifest(root.resolve("one"), "m", "1", "[4]", 2);
        manifest(root.resolve("two"), "m", "1", "[4]", 2);

        IOException e = assertThrows(IOException.class, () -> ModelsDirectoryCatalog.read(root));
        assertTrue(e.getMessage().contains("one") && e.getMessage().contains("two"), e.getMessage());
    }

    @Test
    void shouldFailNamingTheFileWhenAManifestIsInvalid() throws IOException {
        Files.createDirectories(root.resolve("broken"));
        Files.writeString(root.resolve("broken/manifest.json"), "{\"name\": \"m\"");

        IOException e = assertThrows(IOException.class, () -> ModelsDirectoryCatalog.read(root));
        assertTrue(e.getMessage().contains("manifest.json"), e.getMessage());
    }

    private static void manifest(Path dir, String name, String version, String shape, int classes) throws IOException {
        Files.createDirectories(dir);
        StringBuilder cls = new StringBuilder();
        for (int i = 0; i < classes; i++) {
            cls.append(i == 0 ? "" : ",").append("\"c").append(i).append('"');
        }
        Files.writeString(dir.resolve("manifest.json"), "{\"name\":\"" + name + "\",\"version\":\"" + version
                + "\",\"architecture\":\"resnet-mlp\",\"hyperparameters\":{\"width\":8,\"depth\":2},"
                + "\"input\":{\"shape\":" + shape + "},\"classes\":[" + cls + "]}");
    }
}
