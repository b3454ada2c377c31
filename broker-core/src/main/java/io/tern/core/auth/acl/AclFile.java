package io.tern.core.auth.acl;

import io.tern.core.auth.AuthFileException;
import io.tern.core.auth.AuthFiles;
import io.tern.core.routing.TopicCheck;
import io.tern.core.routing.Topics;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed ACL file in Mosquitto's syntax:
 * <pre>
 * # topic lines before any user line apply to anonymous clients
 * topic read public/#
 * user alice
 * topic readwrite alice/#        # access defaults to readwrite
 * topic deny alice/secret
 * pattern write devices/%c/status # patterns apply to every client
 * </pre>
 */
public record AclFile(List<AclRule> anonymous, Map<String, List<AclRule>> users, List<AclRule> patterns) {

    public AclFile {
        anonymous = List.copyOf(anonymous);
        Map<String, List<AclRule>> copy = new HashMap<>();
        users.forEach((user, rules) -> copy.put(user, List.copyOf(rules)));
        users = Map.copyOf(copy);
        patterns = List.copyOf(patterns);
    }

    /** The rules that apply to one client, placeholders filled in. */
    public List<AclRule> rulesFor(String clientId, String username) {
        List<AclRule> rules = new ArrayList<>(username == null ? anonymous : users.getOrDefault(username, List.of()));
        for (AclRule pattern : patterns) {
            AclRule filled = pattern.forClient(clientId, username);
            if (filled != null) {
                rules.add(filled);
            }
        }
        return rules;
    }

    public static AclFile read(Path file) throws AuthFileException {
        return parse(AuthFiles.readText(file), file.toString());
    }

    public static AclFile parse(String text, String source) throws AuthFileException {
        List<AclRule> anonymous = new ArrayList<>();
        Map<String, List<AclRule>> users = new HashMap<>();
        List<AclRule> patterns = new ArrayList<>();
        List<AclRule> current = anonymous;
        for (AuthFiles.Line meaningful : AuthFiles.meaningfulLines(text, source)) {
            String where = meaningful.where();
            String[] words = meaningful.text().split("\\s+", 2);
            String rest = words.length > 1 ? words[1].strip() : "";
            switch (words[0]) {
                case "user" -> {
                    if (rest.isEmpty()) {
                        throw new AuthFileException(where + ": 'user' needs a username");
                    }
                    current = users.computeIfAbsent(rest, u -> new ArrayList<>());
                }
                case "topic" -> current.add(rule(rest, false, where));
                case "pattern" -> patterns.add(rule(rest, true, where));
                default -> throw new AuthFileException(where + ": expected 'user', 'topic' or 'pattern', got '"
                        + words[0] + "'");
            }
        }
        return new AclFile(anonymous, users, patterns);
    }

    private static AclRule rule(String rest, boolean pattern, String where) throws AuthFileException {
        if (rest.isEmpty()) {
            throw new AuthFileException(where + ": needs a topic filter");
        }
        String[] words = rest.split("\\s+", 2);
        AclAccess access = AclAccess.parse(words[0]);
        String filter = access == null ? rest : (words.length > 1 ? words[1].strip() : "");
        if (access == null) {
            access = AclAccess.READWRITE; // Mosquitto: no access word means readwrite
        }
        if (filter.isEmpty()) {
            throw new AuthFileException(where + ": needs a topic filter after '" + words[0] + "'");
        }
        if (filter.startsWith(Topics.SHARE_PREFIX)) {
            throw new AuthFileException(where + ": write the plain filter, not '" + filter
                    + "' (a shared subscription is checked against the filter after $share/{group}/)");
        }
        if (Topics.checkTopicFilter(filter) instanceof TopicCheck.Invalid invalid) {
            throw new AuthFileException(where + ": invalid topic filter '" + filter + "': " + invalid.problem());
        }
        return new AclRule(access, filter, pattern);
    }
}
