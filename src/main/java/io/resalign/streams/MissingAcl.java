package io.resalign.streams;

import io.resalign.config.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;

/**
 * Names what a broker refused and the ACL the service's principal lacks, from an exception anywhere
 * in a cause chain. A refused access fails the same way on every retry, so the failure policies stop
 * on it ({@link StreamThreadFailurePolicy}, {@link SendFailurePolicy}) with this line in the log
 * instead of replacing the stream thread; the ACLs are listed in docs/kafka.md, "Failures".
 */
final class MissingAcl {

    private MissingAcl() {
    }

    /** Returns what was refused and the ACL to grant, when the chain holds an authorisation or authentication error. */
    static Optional<String> describe(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AuthorizationException denied) {
                return Optional.of(acl(denied) + " (" + denied.getClass().getSimpleName() + ": " + denied.getMessage() + ")");
            }
            if (t instanceof AuthenticationException failed) {
                return Optional.of("the broker did not authenticate the service (" + failed.getClass().getSimpleName() + ": "
                        + failed.getMessage() + "); check the SASL/TLS settings and credentials (docs/kafka.md, \"Production\")");
            }
        }
        return Optional.empty();
    }

    private static String acl(AuthorizationException denied) {
        if (denied instanceof TopicAuthorizationException topics && !topics.unauthorizedTopics().isEmpty()) {
            Set<String> names = new TreeSet<>(topics.unauthorizedTopics());
            List<String> acls = new ArrayList<>();
            for (String topic : names) {
                acls.add("ALLOW " + operation(topic) + " on Topic:" + topic);
            }
            return "access to topic " + String.join(", ", names) + " was refused: missing ACL " + String.join("; ", acls);
        }
        if (denied instanceof GroupAuthorizationException group) {
            return "access to consumer group " + group.groupId() + " was refused: missing ACL ALLOW READ on Group:" + group.groupId();
        }
        if (denied instanceof TransactionalIdAuthorizationException) {
            return "a transactional id was refused (exactly_once_v2): missing ACL ALLOW WRITE on TransactionalId prefixed with "
                    + "the application id (quarkus.kafka-streams.application-id)";
        }
        if (denied instanceof ClusterAuthorizationException) {
            return "a cluster operation was refused: missing ACL on Cluster:kafka-cluster (IDEMPOTENT_WRITE for the producers "
                    + "on brokers before 2.8, CREATE when Kafka Streams creates its internal topics)";
        }
        return "the broker refused an operation: missing ACL as the broker names it";
    }

    /** Returns what the service does with a topic: reads its input, writes its outputs, both on its internal topics. */
    private static String operation(String topic) {
        if (topic.equals(Topics.INFERENCE_SAMPLES)) {
            return "READ";
        }
        return topic.equals(Topics.INFERENCE_SAMPLES_DLQ) || topic.equals(Topics.ALIGNMENT_REPORTS) ? "WRITE" : "READ and WRITE";
    }
}
