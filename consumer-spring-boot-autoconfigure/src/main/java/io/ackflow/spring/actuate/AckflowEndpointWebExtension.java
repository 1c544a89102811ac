package io.ackflow.spring.actuate;

import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * The write operations of {@code /actuator/ackflow} over HTTP, with a status that says how they
 * went and, when they did not, a body that says why (Spring Boot's error page leaves the message
 * out by default): 200 with {@link AckflowEndpoint#operate}'s answer; 400 when the request is
 * wrong (a field missing, malformed or unknown to the action, a topic no consumer reads, a seek to
 * the committed offset of a partition that has none); 503 when a consumer is not running or could
 * not do it in time. Like the endpoint's, these operations need
 * {@code management.endpoint.ackflow.access=unrestricted}.
 */
@EndpointWebExtension(endpoint = AckflowEndpoint.class)
public class AckflowEndpointWebExtension {

    private final AckflowEndpoint endpoint;

    public AckflowEndpointWebExtension(AckflowEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    /** {@link AckflowEndpoint#operate}, answered with a status. */
    @WriteOperation
    public WebEndpointResponse<Map<String, Object>> operate(@Selector String action, @Nullable String topic,
            @Nullable Integer partition, @Nullable String partitions, @Nullable String to, @Nullable Long offset,
            @Nullable String timestamp) {
        try {
            return new WebEndpointResponse<>(
                    this.endpoint.operate(action, topic, partition, partitions, to, offset, timestamp),
                    WebEndpointResponse.STATUS_OK);
        }
        catch (InvalidEndpointRequestException ex) {
            return error(WebEndpointResponse.STATUS_BAD_REQUEST, "Bad Request", action, ex.getReason());
        }
        catch (IllegalStateException ex) {
            return error(WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE, "Service Unavailable", action, ex.getMessage());
        }
    }

    /** Spring Boot's error attributes, with the message. */
    private static WebEndpointResponse<Map<String, Object>> error(int status, String error, String action,
            String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("error", error);
        body.put("action", action);
        body.put("message", message);
        return new WebEndpointResponse<>(body, status);
    }

}
