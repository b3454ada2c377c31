package io.tern.bridge.coap;

/**
 * What a group of CoAP observers shares: one filter, observed with one identity (so with one
 * set of ACL rights). Each group is one broker session.
 *
 * @param identity the DTLS identity, or null for anonymous observers
 */
record Observation(String identity, String filter) {
}
