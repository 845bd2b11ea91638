package io.resalign.processes;

import io.resalign.embedded.EmbeddedKafka;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A Kafka broker as a process of its own: Kafka's KRaft server classes (the embedded broker's
 * configuration: one node, broker and controller, replication factor 1), on a fixed port over a
 * data directory that outlives the process, so that a test can stop it and start it again.
 * Prints {@code broker ready on HOST:PORT} when clients can connect.
 */
public final class BrokerMain {
    private BrokerMain() {}

    /**
     * Starts the broker and runs until killed.
     *
     * @param args the port and the data directory
     */
    public static void main(String[] args) throws InterruptedException {
        EmbeddedKafka kafka = EmbeddedKafka.start(new EmbeddedKafka.Settings(Integer.parseInt(args[0]), Optional.of(Path.of(args[1]))));
        Runtime.getRuntime().addShutdownHook(new Thread(kafka::close));
        System.out.println("broker ready on " + kafka.bootstrapServers());
        System.out.flush();
        Thread.currentThread().join();
    }
}
