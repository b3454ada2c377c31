package io.tern.app.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A typed, strict view of one mapping in the YAML file. Every read names its key; after reading,
 * {@link #rejectUnknownKeys()} fails on anything not read, so typos never pass silently.
 */
final class ConfigSection {
    private final String path;
    private final ObjectNode node;
    private final Set<String> schema;
    private final List<String> read = new ArrayList<>();

    /** @param schema collects every key path the loader knows (for the documentation check) */
    ConfigSection(String path, ObjectNode node, Set<String> schema) {
        this.path = path;
        this.node = node;
        this.schema = schema;
    }

    static ConfigSection root(JsonNode node, Set<String> schema) throws ConfigException {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return new ConfigSection("", com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(), schema);
        }
        if (!node.isObject()) {
            throw new ConfigException("the configuration must be a mapping of keys, got " + describe(node));
        }
        return new ConfigSection("", (ObjectNode) node, schema);
    }

    private String key(String name) {
        String full = path.isEmpty() ? name : path + "." + name;
        schema.add(full);
        read.add(name);
        return full;
    }

    boolean has(String name) {
        JsonNode value = node.get(name);
        return value != null && !value.isNull();
    }

    /** A nested mapping; absent gives an empty section (so defaults apply and keys are still known). */
    ConfigSection section(String name) throws ConfigException {
        String full = key(name);
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return new ConfigSection(full, com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode(), schema);
        }
        if (!value.isObject()) {
            throw new ConfigException(full + ": expected a mapping, got " + describe(value));
        }
        return new ConfigSection(full, (ObjectNode) value, schema);
    }

    long integer(String name, long defaultValue, long min, long max) throws ConfigException {
        String full = key(name);
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return defaultValue;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new ConfigException(full + ": expected an integer from " + min + " to " + max + ", got " + describe(value));
        }
        long result = value.asLong();
        if (result < min || result > max) {
            throw new ConfigException(full + ": expected an integer from " + min + " to " + max + ", got " + result);
        }
        return result;
    }

    int intValue(String name, int defaultValue, int min, int max) throws ConfigException {
        return (int) integer(name, defaultValue, min, max);
    }

    boolean bool(String name, boolean defaultValue) throws ConfigException {
        String full = key(name);
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return defaultValue;
        }
        if (!value.isBoolean()) {
            throw new ConfigException(full + ": expected true or false, got " + describe(value));
        }
        return value.asBoolean();
    }

    String string(String name, String defaultValue) throws ConfigException {
        String full = key(name);
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return defaultValue;
        }
        if (!value.isTextual()) {
            throw new ConfigException(full + ": expected a string, got " + describe(value));
        }
        return value.asText();
    }

    /** A list of strings; absent gives an empty list. */
    List<String> stringList(String name) throws ConfigException {
        String full = key(name);
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new ConfigException(full + ": expected a list of strings, got " + describe(value));
        }
        List<String> items = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isTextual() || item.asText().isBlank()) {
                throw new ConfigException(full + ": expected a list of non-empty strings, got " + describe(item)
                        + " in it");
            }
            items.add(item.asText());
        }
        return List.copyOf(items);
    }

    /** A mapping of string keys to non-empty string values; absent gives an empty map. */
    java.util.Map<String, String> stringMap(String name) throws ConfigException {
        String full = key(name);
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return java.util.Map.of();
        }
        if (!value.isObject()) {
            throw new ConfigException(full + ": expected a mapping of strings, got " + describe(value));
        }
        java.util.Map<String, String> entries = new java.util.LinkedHashMap<>();
        for (Iterator<java.util.Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            java.util.Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isTextual() || entry.getValue().asText().isEmpty()) {
                throw new ConfigException(full + "." + entry.getKey() + ": expected a non-empty string, got "
                        + describe(entry.getValue()));
            }
            entries.put(entry.getKey(), entry.getValue().asText());
        }
        return entries;
    }

    /** A lower-case snake_case word naming one of {@code type}'s constants. */
    <E extends Enum<E>> E choice(String name, E defaultValue, Class<E> type) throws ConfigException {
        String full = key(name);
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return defaultValue;
        }
        List<String> allowed = new ArrayList<>();
        for (E constant : type.getEnumConstants()) {
            String word = constant.name().toLowerCase(Locale.ROOT);
            allowed.add(word);
            if (value.isTextual() && value.asText().equals(word)) {
                return constant;
            }
        }
        throw new ConfigException(full + ": expected one of " + String.join(", ", allowed) + ", got " + describe(value));
    }

    void rejectUnknownKeys() throws ConfigException {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!read.contains(name)) {
                String full = path.isEmpty() ? name : path + "." + name;
                throw new ConfigException(full + ": unknown key" + (read.isEmpty() ? "" : " (known here: "
                        + String.join(", ", read) + ")"));
            }
        }
    }

    private static String describe(JsonNode value) {
        if (value.isTextual()) {
            return "\"" + value.asText() + "\"";
        }
        if (value.isObject()) {
            return "a mapping";
        }
        if (value.isArray()) {
            return "a list";
        }
        return value.toString();
    }
}
