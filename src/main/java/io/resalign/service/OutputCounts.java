package io.resalign.service;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.OptionalInt;

/**
 * Counts, over a pane or window, how the engine's replayed predictions compare with the served
 * predictions and labels the records carried. Six integers: cheap to keep per pane and to merge.
 */
final class OutputCounts {
    private int served;
    private int servedAgreeing;
    private int labelled;
    private int correct;
    private int servedLabelled;
    private int servedCorrect;

    /** Counts one sample: the engine's argmax and what its record said. */
    void add(int predicted, OptionalInt servedClass, OptionalInt label) {
        if (servedClass.isPresent()) {
            served++;
            servedAgreeing += servedClass.getAsInt() == predicted ? 1 : 0;
        }
        if (label.isPresent()) {
            labelled++;
            correct += label.getAsInt() == predicted ? 1 : 0;
            if (servedClass.isPresent()) {
                servedLabelled++;
                servedCorrect += servedClass.getAsInt() == label.getAsInt() ? 1 : 0;
            }
        }
    }

    /** Adds the counts of another pane. */
    void add(OutputCounts other) {
        served += other.served;
        servedAgreeing += other.servedAgreeing;
        labelled += other.labelled;
        correct += other.correct;
        servedLabelled += other.servedLabelled;
        servedCorrect += other.servedCorrect;
    }

    /** Returns the report's output context, or null when no sample carried a served prediction or a label. */
    AlignmentReport.OutputContext toContext() {
        if (served == 0 && labelled == 0) {
            return null;
        }
        return new AlignmentReport.OutputContext(served, share(servedAgreeing, served), labelled, share(correct, labelled),
                share(servedCorrect, servedLabelled));
    }

    private static Double share(int part, int whole) {
        return whole == 0 ? null : (double) part / whole;
    }

    void write(DataOutputStream out) throws IOException {
        for (int v : new int[] {served, servedAgreeing, labelled, correct, servedLabelled, servedCorrect}) {
            out.writeInt(v);
        }
    }

    static OutputCounts read(DataInputStream in) throws IOException {
        OutputCounts c = new OutputCounts();
        c.served = in.readInt();
        c.servedAgreeing = in.readInt();
        c.labelled = in.readInt();
        c.correct = in.readInt();
        c.servedLabelled = in.readInt();
        c.servedCorrect = in.readInt();
        return c;
    }
}
