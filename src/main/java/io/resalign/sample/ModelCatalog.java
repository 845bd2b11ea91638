package io.resalign.sample;

import java.util.Optional;
import java.util.SortedSet;

/**
 * Looks up the models that records may name. The decoder asks it for the spec of a name and
 * version, and for the versions of a name to tell an unknown model from an unknown version.
 */
public interface ModelCatalog {

    /** Returns the spec of the model version, if the catalog has it. */
    Optional<ModelSpec> find(String name, String version);

    /** Returns the versions known for the model name; empty when the model is unknown. */
    SortedSet<String> versions(String name);

    /** Returns every model name, for messages that list what is known. */
    SortedSet<String> names();
}
