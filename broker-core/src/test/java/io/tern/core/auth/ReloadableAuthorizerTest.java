package io.tern.core.auth;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReloadableAuthorizerTest {

    private static Authorizer only(String topic) {
        return (clientId, username) -> new ClientPermissions() {
            @Override
            public boolean canPublish(String t) {
                return t.equals(topic);
            }

            @Override
            public boolean canSubscribe(String filter) {
                return filter.equals(topic);
            }

            @Override
            public boolean canReceive(String t) {
                return t.equals(topic);
            }
        };
    }

    @Test
    void permissionsHandedOutEarlierFollowAReplacement() {
        ReloadableAuthorizer authorizer = new ReloadableAuthorizer(only("a"));
        ClientPermissions held = authorizer.permissionsFor("c", "u");
        assertThat(held.canPublish("a")).isTrue();
        assertThat(held.canPublish("b")).isFalse();
        authorizer.replace(only("b"));
        assertThat(held.canPublish("a")).isFalse();
        assertThat(held.canPublish("b")).isTrue();
        assertThat(held.canSubscribe("b")).isTrue();
        assertThat(held.canReceive("b")).isTrue();
    }
}
