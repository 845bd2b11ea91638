package io.resalign.drift;

/**
 * Names one model version, the unit that owns windows and a reference.
 *
 * @param model model name
 * @param version model version
 */
public record ModelVersion(String model, String version) {
    /** Checks that both parts are present. */
    public ModelVersion {
        if (model == null || model.isBlank() || version == null || version.isBlank()) {
            throw new IllegalArgumentException("model and version must be non-blank, were '"
                    + model + "' and '" + version + "'");
        }
    }
}
