package io.resalign.service;

import io.resalign.drift.DriftReport;
import io.resalign.drift.FeatureSchema;
import io.resalign.drift.FeatureShift;
import io.resalign.drift.FeatureSummary;
import io.resalign.drift.GroupDecision;
import io.resalign.drift.HoppingCountWindows;
import io.resalign.drift.ModelVersion;
import io.resalign.drift.ReferenceProfile;
import io.resalign.drift.WindowAggregate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Builds the {@link AlignmentReport} of a closed window: the drift package's numbers (window
 * summaries, {@link DriftReport}, {@link ReferenceProfile}) in the report's contract
 * (docs/reports.md): NaN and infinities as null, enum names in lower case, the
 * {@link AlignmentReport.Drift#TOP} blocks and features that moved most, the window named by its
 * sample ordinals and its output counts.
 */
final class AlignmentReports {
    private AlignmentReports() {}

    /**
     * Returns the report of a window {@code monitor} closed with sample {@code lastSample} and tested
     * against its current reference.
     */
    static AlignmentReport of(ModelMonitor monitor, HoppingCountWindows.Window<PaneContext> closed, long lastSample, DriftReport result) {
        FeatureSchema schema = monitor.schema();
        ModelVersion modelVersion = monitor.modelVersion();
        WindowAggregate w = closed.samples();
        List<AlignmentReport.FeatureStatistics> features = new ArrayList<>(schema.size());
        for (int f = 0; f < schema.size(); f++) {
            FeatureSummary s = w.summary(f);
            features.add(new AlignmentReport.FeatureStatistics(s.feature(), schema.block(f), s.count(), s.nanCount(),
                    AlignmentReport.finite(s.mean()), AlignmentReport.finite(s.p50()), AlignmentReport.finite(s.p90()),
                    AlignmentReport.finite(s.p99())));
        }
        ReferenceProfile profile = monitor.referenceProfile().orElseThrow();
        AlignmentReport.Reference ref = new AlignmentReport.Reference(lower(profile.source().name()), profile.createdAt(),
                profile.sampleCount(), profile.ageSeconds(w.lastTimestamp()));
        List<AlignmentReport.BlockScore> blocks = result.blocks().stream().limit(AlignmentReport.Drift.TOP)
                .map(b -> new AlignmentReport.BlockScore(b.block(), AlignmentReport.finite(b.score()), b.topFeature()))
                .toList();
        List<AlignmentReport.FeatureScore> top = result.features().stream().limit(AlignmentReport.Drift.TOP)
                .map(AlignmentReports::score).toList();
        AlignmentReport.Drift decision = new AlignmentReport.Drift(AlignmentReport.finite(result.statistic()),
                AlignmentReport.finite(result.threshold()), result.pValue(), result.decision(), result.falseAlarmRate(),
                lower(result.combiner().name()), result.testedFeatures(), blocks, top);
        AlignmentReport.Window window = new AlignmentReport.Window(w.firstTimestamp(), w.lastTimestamp(), closed.payload().firstSample(),
                lastSample, w.count(), monitor.windows().size(), monitor.windows().advance());
        return new AlignmentReport(AlignmentReport.SCHEMA_VERSION, modelVersion.model(), modelVersion.version(), window, features,
                ref, decision, monitor.engineDevice(), closed.payload().counts().toContext(), outputDrift(result));
    }

    private static AlignmentReport.OutputDrift outputDrift(DriftReport result) {
        GroupDecision output = result.output();
        List<AlignmentReport.OutputFeatureScore> features = output.features().stream()
                .map(s -> new AlignmentReport.OutputFeatureScore(s.feature(), AlignmentReport.finite(s.z()),
                        AlignmentReport.finite(s.windowMean()), AlignmentReport.finite(s.referenceMean()),
                        AlignmentReport.finite(s.shiftInReferenceSd())))
                .toList();
        return new AlignmentReport.OutputDrift(AlignmentReport.finite(output.statistic()), AlignmentReport.finite(output.threshold()),
                AlignmentReport.finite(output.pValue()), output.decision(), result.falseAlarmRate(), output.testedFeatures(), features);
    }

    private static AlignmentReport.FeatureScore score(FeatureShift s) {
        return new AlignmentReport.FeatureScore(s.feature(), s.block(), AlignmentReport.finite(s.z()),
                AlignmentReport.finite(s.windowMean()), AlignmentReport.finite(s.referenceMean()),
                AlignmentReport.finite(s.shiftInReferenceSd()));
    }

    private static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
