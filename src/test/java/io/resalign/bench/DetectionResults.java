package io.resalign.bench;

import io.resalign.bench.DetectionScore.CleanWindows;
import io.resalign.bench.DetectionScore.Detection;
import io.resalign.bench.DetectionStream.Scenario;
import io.resalign.bench.DetectionStream.Segment;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Collectors;

/**
 * The detection benchmark's results: the run's parameters, the stream's segments, every seed's
 * window decisions per detector and the calibration counts. They are written as plain files
 * ({@code run.properties}, {@code segments.csv}, {@code windows-seed<S>.csv}, {@code calibration.csv})
 * and every table of {@code results.md} is computed from them alone ({@link #markdown()}), so the
 * published tables can be checked against the data they came from ({@code DetectionResultsTest}).
 */
final class DetectionResults {

    /** What the run was: scenarios in stream order, reference, windows, alpha, gap and shift lengths. */
    record Parameters(List<String> scenarios, int reference, int window, int advance, double alpha, int gap, int shift) {}

    /** One seed's stream: each detector's window decisions, in window order. */
    record SeedRun(long seed, Map<String, List<WindowDecision>> decisions) {}

    private final Parameters parameters;
    private final List<Segment> segments;
    private final List<SeedRun> runs;
    private final List<DetectionCalibration.Rate> rates;

    DetectionResults(Parameters parameters, List<Segment> segments, List<SeedRun> runs, List<DetectionCalibration.Rate> rates) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no seed was run");
        }
        this.parameters = parameters;
        this.segments = List.copyOf(segments);
        this.runs = List.copyOf(runs);
        this.rates = List.copyOf(rates);
    }

    /** Returns the name of a seed's windows file. */
    static String windowsFile(long seed) {
        return "windows-seed" + seed + ".csv";
    }

    /** Writes the results' files to {@code dir}. */
    void write(Path dir) throws IOException {
        Parameters p = parameters;
        String props = "scenarios=" + String.join(",", p.scenarios()) + "\nreference=" + p.reference() + "\nwindow=" + p.window()
                + "\nadvance=" + p.advance() + "\nalpha=" + p.alpha() + "\ngap=" + p.gap() + "\nshift=" + p.shift() + "\nseeds="
                + runs.stream().map(r -> Long.toString(r.seed())).collect(Collectors.joining(",")) + "\n";
        Files.writeString(dir.resolve("run.properties"), props, StandardCharsets.UTF_8);
        StringBuilder seg = new StringBuilder("kind,scenario,name,start,end\n");
        for (Segment s : segments) {
            seg.append(s.kind().name().toLowerCase(Locale.ROOT)).append(',').append(s.scenario()).append(',')
                    .append(s.scenario() < 0 ? "" : p.scenarios().get(s.scenario())).append(',').append(s.start()).append(',')
                    .append(s.end()).append('\n');
        }
        Files.writeString(dir.resolve("segments.csv"), seg.toString(), StandardCharsets.UTF_8);
        for (SeedRun run : runs) {
            Files.writeString(dir.resolve(windowsFile(run.seed())), windowsCsv(run.decisions()), StandardCharsets.UTF_8);
        }
        StringBuilder cal = new StringBuilder("detector,alpha,stream,windows,alarms\n");
        for (DetectionCalibration.Rate r : rates) {
            for (int k = 0; k < r.streams(); k++) {
                cal.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%d%n", r.detector(), Double.toString(r.alpha()), k, r.windowsPerStream(),
                        r.alarmsPerStream()[k]));
            }
        }
        Files.writeString(dir.resolve("calibration.csv"), cal.toString(), StandardCharsets.UTF_8);
    }

    private static String windowsCsv(Map<String, List<WindowDecision>> decisions) {
        List<String> detectors = List.copyOf(decisions.keySet());
        StringBuilder csv = new StringBuilder("first,last");
        for (String d : detectors) {
            csv.append(',').append(d).append("_statistic,").append(d).append("_threshold,").append(d).append("_alarm");
        }
        csv.append('\n');
        List<WindowDecision> base = decisions.get(detectors.get(0));
        for (int i = 0; i < base.size(); i++) {
            WindowDecision w0 = base.get(i);
            csv.append(w0.first()).append(',').append(w0.last());
            for (String d : detectors) {
                WindowDecision w = decisions.get(d).get(i);
                if (w.first() != w0.first() || w.last() != w0.last()) {
                    throw new IllegalStateException(d + " window " + i + " is " + w.first() + ".." + w.last() + ", not " + w0.first()
                            + ".." + w0.last());
                }
                csv.append(String.format(Locale.ROOT, ",%.6g,%.6g,%d", w.statistic(), w.threshold(), w.alarm() ? 1 : 0));
            }
            csv.append('\n');
        }
        return csv.toString();
    }

    /** Reads results written by {@link #write}. */
    static DetectionResults read(Path dir) throws IOException {
        Map<String, String> props = new LinkedHashMap<>();
        for (String line : Files.readAllLines(dir.resolve("run.properties"), StandardCharsets.UTF_8)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                props.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        Parameters p = new Parameters(List.of(props.get("scenarios").split(",")), Integer.parseInt(props.get("reference")),
                Integer.parseInt(props.get("window")), Integer.parseInt(props.get("advance")), Double.parseDouble(props.get("alpha")),
                Integer.parseInt(props.get("gap")), Integer.parseInt(props.get("shift")));
        List<Segment> segments = new ArrayList<>();
        for (String[] row : rows(dir.resolve("segments.csv"))) {
            segments.add(new Segment(Segment.Kind.valueOf(row[0].toUpperCase(Locale.ROOT)), Integer.parseInt(row[1]),
                    Integer.parseInt(row[3]), Integer.parseInt(row[4])));
        }
        List<SeedRun> runs = new ArrayList<>();
        for (String seed : props.get("seeds").split(",")) {
            Path file = dir.resolve(windowsFile(Long.parseLong(seed)));
            String[] header = Files.readAllLines(file, StandardCharsets.UTF_8).get(0).split(",");
            Map<String, List<WindowDecision>> decisions = new LinkedHashMap<>();
            for (int c = 2; c < header.length; c += 3) {
                decisions.put(header[c].substring(0, header[c].length() - "_statistic".length()), new ArrayList<>());
            }
            for (String[] row : rows(file)) {
                int c = 2;
                for (List<WindowDecision> list : decisions.values()) {
                    list.add(new WindowDecision(Integer.parseInt(row[0]), Integer.parseInt(row[1]), Double.parseDouble(row[c]),
                            Double.parseDouble(row[c + 1]), row[c + 2].equals("1")));
                    c += 3;
                }
            }
            runs.add(new SeedRun(Long.parseLong(seed), decisions));
        }
        // one row per stream, grouped by detector and rate in file order
        Map<String, List<String[]>> byRate = new LinkedHashMap<>();
        for (String[] row : rows(dir.resolve("calibration.csv"))) {
            byRate.computeIfAbsent(row[0] + "," + row[1], key -> new ArrayList<>()).add(row);
        }
        List<DetectionCalibration.Rate> rates = new ArrayList<>();
        for (List<String[]> streams : byRate.values()) {
            String[] first = streams.get(0);
            rates.add(new DetectionCalibration.Rate(first[0], Double.parseDouble(first[1]), Integer.parseInt(first[3]),
                    streams.stream().mapToInt(row -> Integer.parseInt(row[4])).toArray()));
        }
        return new DetectionResults(p, segments, runs, rates);
    }

    private static List<String[]> rows(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        return lines.subList(1, lines.size()).stream().filter(l -> !l.isBlank()).map(l -> l.split(",", -1)).toList();
    }

    /** Returns every table, in markdown: the first seed's, the seeds side by side, the calibration check. */
    String markdown() {
        List<Scenario> scenarios = DetectionBenchmark.selected(parameters.scenarios());
        DetectionStream stream = DetectionStream.ofSegments(segments, scenarios);
        StringBuilder md = new StringBuilder();
        md.append(firstSeed(stream, scenarios));
        if (runs.size() > 1) {
            md.append('\n').append(acrossSeeds(stream, scenarios));
        }
        if (!rates.isEmpty()) {
            md.append('\n').append(calibration());
        }
        return md.toString();
    }

    private String firstSeed(DetectionStream stream, List<Scenario> scenarios) {
        SeedRun run = runs.get(0);
        Parameters p = parameters;
        List<String> detectors = List.copyOf(run.decisions().keySet());
        List<Detection> detections = DetectionScore.detections(stream, run.decisions());
        StringBuilder md = new StringBuilder();
        md.append("### Detection delay, seed ").append(run.seed()).append(" (samples after the shift until the first alarm; `missed` = "
                + "no alarm in ").append(p.shift()).append(" samples)\n\n");
        md.append("| scenario | what | ").append(String.join(" | ", detectors)).append(" | first |\n");
        md.append("|---|---|").append("---|".repeat(detectors.size())).append("---|\n");
        for (int k = 0; k < scenarios.size(); k++) {
            List<String> first = DetectionScore.first(detections, k);
            md.append("| ").append(scenarios.get(k).name()).append(" | ").append(scenarios.get(k).description()).append(" |");
            for (String det : detectors) {
                md.append(' ').append(cell(delay(detections, det, k))).append(" |");
            }
            md.append(' ').append(first.isEmpty() ? "none" : String.join(", ", first)).append(" |\n");
        }
        md.append("\n### Summary per detector, seed ").append(run.seed()).append(" (alpha = ").append(p.alpha())
                .append(" per window, windows of ").append(p.window()).append(" every ").append(p.advance()).append(" samples)\n\n");
        md.append("| detector | missed | first or tied | within 1,000 samples | clean windows | false alarms | per 10,000 clean samples "
                + "| target per 10,000 |\n|---|---|---|---|---|---|---|---|\n");
        Map<String, CleanWindows> clean = DetectionScore.clean(stream, run.decisions());
        int n = scenarios.size();
        for (String det : detectors) {
            Tally t = tally(detections, det, n);
            CleanWindows c = clean.get(det);
            md.append(String.format(Locale.ROOT, "| %s | %d of %d | %d of %d | %d of %d | %d | %d | %.2f | %.2f |%n", det, t.missed, n,
                    t.firstOrTied, n, t.within1000, n, c.windows(), c.alarms(), c.perTenThousand(p.advance()),
                    p.alpha() * 10_000 / p.advance()));
        }
        return md.toString();
    }

    private String acrossSeeds(DetectionStream stream, List<Scenario> scenarios) {
        List<String> detectors = List.copyOf(runs.get(0).decisions().keySet());
        List<List<Detection>> bySeed = runs.stream().map(r -> DetectionScore.detections(stream, r.decisions())).toList();
        String seeds = runs.stream().map(r -> Long.toString(r.seed())).collect(Collectors.joining(" / "));
        StringBuilder md = new StringBuilder();
        md.append("### The same on ").append(runs.size()).append(" streams (seeds ").append(seeds)
                .append(": other images, other order, other noise; the same scenarios and positions)\n\n");
        md.append("Delay per seed, in samples:\n\n| scenario | ").append(String.join(" | ", detectors)).append(" |\n|---|")
                .append("---|".repeat(detectors.size())).append('\n');
        for (int k = 0; k < scenarios.size(); k++) {
            md.append("| ").append(scenarios.get(k).name()).append(" |");
            for (String det : detectors) {
                int kk = k;
                md.append(' ').append(bySeed.stream().map(d -> cell(delay(d, det, kk))).collect(Collectors.joining(" / "))).append(" |");
            }
            md.append('\n');
        }
        md.append("\n| detector | missed (all seeds) | first or tied, per seed | within 1,000 samples (all seeds) | largest delay "
                + "| clean windows | false alarms | expected at alpha | per 10,000 clean samples | target per 10,000 |\n"
                + "|---|---|---|---|---|---|---|---|---|---|\n");
        int n = scenarios.size();
        for (String det : detectors) {
            int missed = 0;
            int within = 0;
            int largest = 0;
            List<String> first = new ArrayList<>();
            int windows = 0;
            int alarms = 0;
            for (int r = 0; r < runs.size(); r++) {
                Tally t = tally(bySeed.get(r), det, n);
                missed += t.missed;
                within += t.within1000;
                largest = Math.max(largest, t.largest);
                first.add(Integer.toString(t.firstOrTied));
                CleanWindows c = DetectionScore.clean(det, runs.get(r).decisions().get(det), segments);
                windows += c.windows();
                alarms += c.alarms();
            }
            Parameters p = parameters;
            md.append(String.format(Locale.ROOT, "| %s | %d of %d | %s of %d | %d of %d | %d | %d | %d | %.2f | %.2f | %.2f |%n", det, missed,
                    n * runs.size(), String.join(" / ", first), n, within, n * runs.size(), largest, windows, alarms, windows * p.alpha(),
                    new CleanWindows(det, windows, alarms).perTenThousand(p.advance()), p.alpha() * 10_000 / p.advance()));
        }
        return md.toString();
    }

    private String calibration() {
        DetectionCalibration.Rate any = rates.get(0);
        StringBuilder md = new StringBuilder();
        md.append("### Calibration check: false alarms on long clean streams\n\n");
        md.append(String.format(Locale.ROOT, "%d independent clean streams per rate, each a new shuffle of the %d pool images: a reference of "
                + "%d, then %d tumbling windows of %d.%n%n", any.streams(), parameters.reference() + any.windowsPerStream() * parameters.window(),
                parameters.reference(), any.windowsPerStream(), parameters.window()));
        md.append("The interval takes the stream as the unit: the windows of one stream share its reference, so their alarms are "
                + "correlated. *At or under the target* means the interval reaches down to the configured alpha or lies below it: "
                + "the observed rate is not detectably above it.\n\n");
        md.append("| detector | configured alpha | windows | false alarms | observed rate | 95 % interval | observed / configured "
                + "| at or under the target | within a factor of 2 |\n|---|---|---|---|---|---|---|---|---|\n");
        for (DetectionCalibration.Rate r : rates) {
            double[] ci = r.interval();
            md.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %.4f | %.4f to %.4f | %.2f | %s | %s |%n", r.detector(),
                    Double.toString(r.alpha()), r.windows(), r.alarms(), r.observed(), ci[0], ci[1], r.observed() / r.alpha(),
                    r.atOrUnder() ? "yes" : "no", r.withinFactorTwo() ? "yes" : "no"));
        }
        return md.toString();
    }

    private record Tally(int missed, int firstOrTied, int within1000, int largest) {}

    private static Tally tally(List<Detection> detections, String detector, int scenarios) {
        int missed = 0;
        int first = 0;
        int within = 0;
        int largest = 0;
        for (int k = 0; k < scenarios; k++) {
            OptionalInt d = delay(detections, detector, k);
            if (d.isEmpty()) {
                missed++;
            } else {
                within += d.getAsInt() <= 1000 ? 1 : 0;
                largest = Math.max(largest, d.getAsInt());
            }
            if (DetectionScore.first(detections, k).contains(detector)) {
                first++;
            }
        }
        return new Tally(missed, first, within, largest);
    }

    private static OptionalInt delay(List<Detection> detections, String detector, int scenario) {
        return detections.stream().filter(x -> x.scenario() == scenario && x.detector().equals(detector)).findFirst().orElseThrow()
                .delay();
    }

    private static String cell(OptionalInt delay) {
        return delay.isPresent() ? Integer.toString(delay.getAsInt()) : "missed";
    }

    /** Returns the seeds, in run order. */
    List<Long> seeds() {
        return runs.stream().map(SeedRun::seed).toList();
    }
}
