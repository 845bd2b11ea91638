package io.resalign.sample.file;

/** Names the file formats that {@link SampleReaders} reads. */
public enum SampleFormat {
    /** IDX, the MNIST format: {@code .idx}, {@code *-ubyte}, {@code *.idx3-ubyte}. */
    IDX,
    /** NumPy {@code .npy}. */
    NPY,
    /** A JSON array of samples: {@code .json}. */
    JSON,
    /** JSON Lines, one sample per line: {@code .jsonl} or {@code .ndjson}. */
    JSON_LINES
}
