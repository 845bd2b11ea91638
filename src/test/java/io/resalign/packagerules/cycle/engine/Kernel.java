package io.resalign.packagerules.cycle.engine;

/** Names a Kafka class by its full name, which the engine must never do (PackageRulesTest). */
public final class Kernel {
    /** Returns the name of Kafka's producer class, so that this class depends on Kafka. */
    public static String producer() {
        return org.apache.kafka.clients.producer.KafkaProducer.class.getName();
    }

    private Kernel() {
    }
}
