package io.tern.bridge.coap;

import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.server.resources.CoapExchange;

import java.util.function.BooleanSupplier;

/** {@code GET /health}: 2.05 with {@code {"status":"UP"}}, or 5.03 while starting or stopping. */
final class HealthResource extends CoapResource {
    private final BooleanSupplier serving;

    HealthResource(BooleanSupplier serving) {
        super("health");
        this.serving = serving;
    }

    @Override
    public void handleGET(CoapExchange exchange) {
        boolean up = serving.getAsBoolean();
        exchange.respond(up ? ResponseCode.CONTENT : ResponseCode.SERVICE_UNAVAILABLE,
                up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}", MediaTypeRegistry.APPLICATION_JSON);
    }
}
