package io.tern.core.auth.acl;

import io.tern.core.auth.AuthFileException;
import io.tern.core.auth.ClientPermissions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AclFileTest {
    private static final String ACL = """
            # anonymous clients: read the public tree only
            topic read public/#

            user alice
            topic readwrite alice/#
            topic deny alice/secret/#
            topic sensors/+/temperature

            user bob
            topic write inbox/alice
            topic read $SYS/#

            # every client: its own device tree and user tree
            pattern readwrite devices/%c/#
            pattern read users/%u/#
            """;

    private static ClientPermissions permissions(String clientId, String username) throws AuthFileException {
        return new AclAuthorizer(AclFile.parse(ACL, "acl")).permissionsFor(clientId, username);
    }

    @Test
    void anonymousClientsGetTheRulesBeforeTheFirstUserLine() throws AuthFileException {
        ClientPermissions anonymous = permissions("c1", null);
        assertThat(anonymous.canReceive("public/news")).isTrue();
        assertThat(anonymous.canSubscribe("public/#")).isTrue();
        assertThat(anonymous.canPublish("public/news")).isFalse();
        assertThat(anonymous.canSubscribe("#")).isFalse();
        assertThat(anonymous.canReceive("alice/x")).isFalse();
        assertThat(anonymous.canReceive("users/null/x")).isFalse(); // %u of nobody fills in nothing
    }

    @Test
    void userRulesWithDenyWinningAndReadwriteAsTheDefault() throws AuthFileException {
        ClientPermissions alice = permissions("phone", "alice");
        assertThat(alice.canPublish("alice/status")).isTrue();
        assertThat(alice.canReceive("alice/status")).isTrue();
        assertThat(alice.canPublish("alice/secret/key")).isFalse();
        assertThat(alice.canReceive("alice/secret/key")).isFalse();
        assertThat(alice.canPublish("sensors/kitchen/temperature")).isTrue(); // no access word: readwrite
        assertThat(alice.canReceive("public/news")).isFalse(); // anonymous rules are not hers
        // A subscription wider than a deny rule is allowed; the denied topics are filtered per message.
        assertThat(alice.canSubscribe("alice/#")).isTrue();
        assertThat(alice.canSubscribe("alice/secret/#")).isFalse();
        assertThat(alice.canSubscribe("alice/secret/deeper")).isFalse();
        assertThat(alice.canSubscribe("#")).isFalse();
        assertThat(alice.canSubscribe("sensors/+/temperature")).isTrue();
        assertThat(alice.canSubscribe("sensors/#")).isFalse();
    }

    @Test
    void writeOnlyAndDollarTopics() throws AuthFileException {
        ClientPermissions bob = permissions("b", "bob");
        assertThat(bob.canPublish("inbox/alice")).isTrue();
        assertThat(bob.canReceive("inbox/alice")).isFalse();
        assertThat(bob.canSubscribe("inbox/alice")).isFalse();
        assertThat(bob.canSubscribe("$SYS/broker/#")).isTrue();
        assertThat(bob.canPublish("$SYS/broker/uptime")).isFalse();
        ClientPermissions carol = permissions("c", "carol"); // no user section: patterns only
        assertThat(carol.canReceive("$SYS/broker/uptime")).isFalse();
    }

    @Test
    void patternsFillInClientIdAndUsername() throws AuthFileException {
        ClientPermissions alice = permissions("thermo-7", "alice");
        assertThat(alice.canPublish("devices/thermo-7/temp")).isTrue();
        assertThat(alice.canPublish("devices/thermo-8/temp")).isFalse();
        assertThat(alice.canSubscribe("users/alice/#")).isTrue();
        assertThat(alice.canPublish("users/alice/x")).isFalse();
        assertThat(alice.canSubscribe("users/bob/#")).isFalse();
    }

    @Test
    void aClientIdOrUsernameWithWildcardsOrSlashesGetsNoPatternRights() throws AuthFileException {
        assertThat(permissions("#", "mallory").canPublish("devices/x/y")).isFalse();
        assertThat(permissions("+", "mallory").canPublish("devices/x/y")).isFalse();
        assertThat(permissions("a/b", "mallory").canPublish("devices/a/b/c")).isFalse();
        assertThat(permissions("ok", "#").canReceive("users/x")).isFalse();
    }

    @Test
    void mistakesNameTheFileAndLine() {
        assertThatThrownBy(() -> AclFile.parse("user alice\ntopic read a/#/b\n", "/etc/tern/acl"))
                .isInstanceOf(AuthFileException.class)
                .hasMessageContaining("/etc/tern/acl line 2").hasMessageContaining("a/#/b");
        assertThatThrownBy(() -> AclFile.parse("topics read a\n", "acl"))
                .hasMessageContaining("acl line 1").hasMessageContaining("'topics'");
        assertThatThrownBy(() -> AclFile.parse("user\n", "acl")).hasMessageContaining("needs a username");
        assertThatThrownBy(() -> AclFile.parse("topic read\n", "acl")).hasMessageContaining("needs a topic filter");
        assertThatThrownBy(() -> AclFile.parse("topic read $share/g/a\n", "acl")).hasMessageContaining("plain filter");
    }
}
