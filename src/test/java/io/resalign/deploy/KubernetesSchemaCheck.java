package io.resalign.deploy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimVolumeSource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpec;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.Rule;
import io.fabric8.openshift.api.model.monitoring.v1.RuleGroup;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitorSpec;

/**
 * Validates rendered Kubernetes manifests offline against the API's types: each document is read into fabric8's
 * typed model class for its apiVersion and kind (the core API, and prometheus-operator's ServiceMonitor and
 * PrometheusRule CRDs), and rejected for a field the type does not have, a value of the wrong JSON type (no
 * coercion: an unquoted number where the API wants a string fails, as the API server's decoder does), a required
 * field left out, or a name or label the API server would refuse.
 *
 * <p>fabric8's classes accept unknown fields into an {@code additionalProperties} map instead of failing, so the
 * check walks the decoded object graph and reports every non-empty one with its path. The required fields are the
 * Kubernetes OpenAPI {@code required} lists of the types the chart renders (fabric8's classes do not carry them).
 */
final class KubernetesSchemaCheck {

    /** Kinds this chart may render, by apiVersion/kind; any other kind is itself an error. */
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "v1/Service", Service.class,
            "v1/ServiceAccount", ServiceAccount.class,
            "v1/ConfigMap", ConfigMap.class,
            "apps/v1/Deployment", Deployment.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
            "monitoring.coreos.com/v1/ServiceMonitor", io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor.class,
            "monitoring.coreos.com/v1/PrometheusRule", PrometheusRule.class);

    /** The OpenAPI {@code required} properties (Kubernetes 1.30, monitoring.coreos.com/v1 CRDs) of the rendered types. */
    private static final Map<Class<?>, List<String>> REQUIRED = Map.ofEntries(
            Map.entry(DeploymentSpec.class, List.of("selector", "template")),
            Map.entry(PodSpec.class, List.of("containers")),
            Map.entry(Container.class, List.of("name")),
            Map.entry(ContainerPort.class, List.of("containerPort")),
            Map.entry(EnvVar.class, List.of("name")),
            Map.entry(SecretKeySelector.class, List.of("key")),
            Map.entry(VolumeMount.class, List.of("name", "mountPath")),
            Map.entry(Volume.class, List.of("name")),
            Map.entry(KeyToPath.class, List.of("key", "path")),
            Map.entry(PersistentVolumeClaimVolumeSource.class, List.of("claimName")),
            Map.entry(HTTPGetAction.class, List.of("port")),
            Map.entry(ServicePort.class, List.of("port")),
            Map.entry(LabelSelectorRequirement.class, List.of("key", "operator")),
            Map.entry(TopologySpreadConstraint.class, List.of("maxSkew", "topologyKey", "whenUnsatisfiable")),
            Map.entry(ServiceMonitorSpec.class, List.of("selector")),
            Map.entry(RuleGroup.class, List.of("name")),
            Map.entry(Rule.class, List.of("expr")));

    /** RFC 1123 subdomain: resource names. */
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    /** Label value: at most 63 characters of this shape, or empty. */
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
    /** Label key: optional DNS-subdomain prefix and a name of at most 63 characters. */
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");

    private final ObjectMapper mapper = strictMapper();

    private static ObjectMapper strictMapper() {
        JsonMapper mapper = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .build();
        // The API server's JSON decoder converts nothing: "8080" is not an integer, 5 and true are not strings.
        for (LogicalType type : new LogicalType[] {LogicalType.Textual, LogicalType.Integer, LogicalType.Float,
                LogicalType.Boolean}) {
            for (CoercionInputShape shape : new CoercionInputShape[] {CoercionInputShape.Integer,
                    CoercionInputShape.Float, CoercionInputShape.Boolean, CoercionInputShape.String}) {
                mapper.coercionConfigFor(type).setCoercion(shape, CoercionAction.Fail);
            }
        }
        return mapper;
    }

    /**
     * Returns the problems of one rendered document (a YAML document already parsed into a tree), each naming the
     * resource and the field path; empty when the document is valid.
     */
    List<String> problems(JsonNode document) {
        String apiVersion = document.path("apiVersion").asText("");
        String kind = document.path("kind").asText("");
        String name = document.path("metadata").path("name").asText("");
        String resource = kind + " " + name;
        Class<? extends HasMetadata> type = KINDS.get(apiVersion + "/" + kind);
        if (type == null) {
            return List.of(resource + ": apiVersion/kind " + apiVersion + "/" + kind + " is not a known kind");
        }
        HasMetadata decoded;
        try {
            decoded = mapper.treeToValue(document, type);
        } catch (Exception e) {
            return List.of(resource + ": does not decode as " + type.getSimpleName() + ": " + e.getMessage());
        }
        List<String> problems = new ArrayList<>();
        if (!DNS_SUBDOMAIN.matcher(name).matches() || name.length() > 253) {
            problems.add(resource + ": metadata.name '" + name + "' is not an RFC 1123 subdomain");
        }
        checkLabels(resource + ": metadata.labels", decoded.getMetadata().getLabels(), problems);
        walk(decoded, resource, problems, new IdentityHashMap<>());
        return problems;
    }

    private static void checkLabels(String where, Map<String, String> labels, List<String> problems) {
        if (labels == null) {
            return;
        }
        labels.forEach((key, value) -> {
            String keyName = key.contains("/") ? key.substring(key.indexOf('/') + 1) : key;
            String prefix = key.contains("/") ? key.substring(0, key.indexOf('/')) : "";
            if (keyName.length() > 63 || !LABEL_NAME.matcher(keyName).matches()
                    || (!prefix.isEmpty() && !DNS_SUBDOMAIN.matcher(prefix).matches())) {
                problems.add(where + ": label key '" + key + "' is not a valid qualified name");
            }
            if (value == null || value.length() > 63 || !LABEL_VALUE.matcher(value).matches()) {
                problems.add(where + ": label " + key + " has value '" + value + "', not a valid label value");
            }
        });
    }

    /** Visits every fabric8 object reachable through getters: unknown fields, then required ones. */
    private void walk(Object node, String path, List<String> problems, Map<Object, Boolean> seen) {
        if (node == null || seen.put(node, Boolean.TRUE) != null) {
            return;
        }
        if (node instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", problems, seen);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> walk(value, path + "." + key, problems, seen));
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (!isProperty(getter)) {
                continue;
            }
            Object value = invoke(getter, node);
            String property = propertyName(getter);
            if (property.equals("additionalProperties")) {
                if (value instanceof Map<?, ?> unknown && !unknown.isEmpty()) {
                    problems.add(path + ": unknown field(s) " + unknown.keySet() + " (not in "
                            + node.getClass().getSimpleName() + ")");
                }
                continue;
            }
            walk(value, path + "." + property, problems, seen);
        }
        for (String required : REQUIRED.getOrDefault(node.getClass(), List.of())) {
            Object value = invoke(getter(node.getClass(), required), node);
            if (value == null || (value instanceof Collection<?> c && c.isEmpty())
                    || (value instanceof String s && s.isEmpty())) {
                problems.add(path + ": required field '" + required + "' of " + node.getClass().getSimpleName()
                        + " is missing");
            }
        }
    }

    private static final Set<String> NOT_PROPERTIES = Set.of("getClass", "getApiVersion", "getKind");

    private static boolean isProperty(Method method) {
        return method.getName().startsWith("get") && method.getParameterCount() == 0
                && !Modifier.isStatic(method.getModifiers()) && !NOT_PROPERTIES.contains(method.getName())
                && method.getDeclaringClass().getName().startsWith("io.fabric8.");
    }

    private static String propertyName(Method getter) {
        String name = getter.getName().substring(3);
        return Character.toLowerCase(name.charAt(0)) + name.substring(1);
    }

    private static Method getter(Class<?> type, String property) {
        try {
            return type.getMethod("get" + Character.toUpperCase(property.charAt(0)) + property.substring(1));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(type.getName() + " has no property " + property, e);
        }
    }

    private static Object invoke(Method getter, Object target) {
        try {
            return getter.invoke(target);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + getter + " of " + target.getClass().getName(), e);
        }
    }
}
