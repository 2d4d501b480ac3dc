package demo.payment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * payment-service: POST /pay {user, amount, currency} charges the card at the payment provider
 * and publishes a payment event to Kafka topic "payments".
 *
 * <p>Runs under the OpenTelemetry Java agent: the agent makes the SERVER span of the JDK HTTP
 * server and the CLIENT span of java.net.http.HttpClient. This class adds the business spans
 * (process-payment, charge-card) and the Kafka PRODUCER span by hand through GlobalOpenTelemetry,
 * which the agent wires to its SDK. The agent's own Kafka instrumentation is switched off
 * (-Dotel.instrumentation.kafka.enabled=false), so the trace context reaches the consumer only
 * through the inject() call below.
 */
public final class PaymentService {
  static final String TOPIC = "payments";
  static final double DECLINE_ABOVE = 1000.0; // the demo's card limit

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Tracer TRACER = GlobalOpenTelemetry.getTracer("payment-service", "1.0.0");
  // Kafka headers are byte arrays; the W3C propagator writes "traceparent"/"tracestate" into them.
  private static final TextMapSetter<Headers> KAFKA_HEADERS =
      (headers, key, value) -> {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
      };

  private final URI providerUri;
  private final boolean skipInjection;
  // HTTP/1.1: the provider stub speaks nothing else (no h2c upgrade attempt on each call).
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
  private final KafkaProducer<String, String> producer;

  PaymentService(String providerUrl, String brokers, boolean skipInjection) {
    this.providerUri = URI.create(providerUrl + "/charge");
    this.skipInjection = skipInjection;
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "payment-service");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "0");
    // A payment must not hang for a minute if Kafka is down: fail the publish after 5 s.
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000");
    props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "5000");
    props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "4000");
    this.producer = new KafkaProducer<>(props);
  }

  /** Thrown for a payment the card issuer refuses (the demo's rule: amount above 1000). */
  static final class CardDeclinedException extends Exception {
    CardDeclinedException(String message) {
      super(message);
    }
  }

  void handlePay(HttpExchange exchange) throws IOException {
    if (!"POST".equals(exchange.getRequestMethod())) {
      reply(exchange, 405, JSON.createObjectNode().put("error", "use POST"));
      return;
    }
    JsonNode body;
    try {
      body = JSON.readTree(exchange.getRequestBody());
    } catch (IOException e) {
      reply(exchange, 400, JSON.createObjectNode().put("error", "invalid JSON"));
      return;
    }
    String user = body.path("user").asText("");
    double amount = body.path("amount").asDouble(Double.NaN);
    String currency = body.path("currency").asText("USD");
    if (user.isEmpty() || Double.isNaN(amount) || amount <= 0) {
      reply(exchange, 400, JSON.createObjectNode().put("error", "need user and a positive amount"));
      return;
    }

    // Child of the agent's SERVER span, which is the current span on this thread.
    Span span =
        TRACER
            .spanBuilder("process-payment")
            .setAttribute("payment.amount", amount)
            .setAttribute("payment.currency", currency)
            .setAttribute("enduser.id", user)
            .startSpan();
    ObjectNode result = JSON.createObjectNode().put("user", user).put("amount", amount).put("currency", currency);
    int code;
    try (Scope ignored = span.makeCurrent()) {
      try {
        String chargeId = chargeCard(user, amount, currency);
        span.setAttribute("payment.status", "approved");
        result.put("status", "approved").put("charge_id", chargeId);
        code = 200;
      } catch (CardDeclinedException e) {
        span.setAttribute("payment.status", "declined");
        span.recordException(e);
        span.setStatus(StatusCode.ERROR, e.getMessage());
        result.put("status", "declined").put("reason", e.getMessage());
        code = 402;
      } catch (Exception e) {
        span.setAttribute("payment.status", "failed");
        span.recordException(e);
        span.setStatus(StatusCode.ERROR, e.toString());
        result.put("status", "failed").put("reason", e.toString());
        code = 502;
      }
      // The customer is notified of approvals and declines alike; a failed charge has no outcome yet.
      if (code != 502) {
        publish(result);
      }
    } finally {
      span.end();
    }
    reply(exchange, code, result);
  }

  /** The charge-card span: one call to the payment provider (the agent adds its CLIENT span). */
  private String chargeCard(String user, double amount, String currency) throws Exception {
    Span span = TRACER.spanBuilder("charge-card").setAttribute("payment.provider", providerUri.getAuthority()).startSpan();
    try (Scope ignored = span.makeCurrent()) {
      if (amount > DECLINE_ABOVE) {
        throw new CardDeclinedException("card declined");
      }
      String payload =
          JSON.writeValueAsString(
              JSON.createObjectNode().put("user", user).put("amount", amount).put("currency", currency));
      HttpRequest request =
          HttpRequest.newBuilder(providerUri)
              .timeout(Duration.ofSeconds(5))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(payload))
              .build();
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException("payment provider answered HTTP " + response.statusCode());
      }
      String chargeId = JSON.readTree(response.body()).path("charge_id").asText();
      span.setAttribute("payment.charge_id", chargeId);
      return chargeId;
    } catch (Exception e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, e.getMessage());
      throw e;
    } finally {
      span.end();
    }
  }

  /** Publishes the payment event under a PRODUCER span whose context travels in the record headers. */
  private void publish(ObjectNode event) {
    Span span =
        TRACER
            .spanBuilder(TOPIC + " publish")
            .setSpanKind(SpanKind.PRODUCER)
            .setAttribute("messaging.system", "kafka")
            .setAttribute("messaging.destination.name", TOPIC)
            .setAttribute("messaging.operation.type", "send")
            .setAttribute("messaging.operation.name", "publish")
            .setAttribute("messaging.kafka.message.key", event.path("user").asText())
            .startSpan();
    try (Scope ignored = span.makeCurrent()) {
      ProducerRecord<String, String> record =
          new ProducerRecord<>(TOPIC, event.path("user").asText(), JSON.writeValueAsString(event));
      if (!skipInjection) {
        // The one line that carries the trace across Kafka (DEMO_FAULT=no-injection skips it).
        GlobalOpenTelemetry.getPropagators()
            .getTextMapPropagator()
            .inject(Context.current(), record.headers(), KAFKA_HEADERS);
      }
      // Wait for the broker's ack so the span covers the whole send and a failure is recorded here.
      var metadata = producer.send(record).get(6, TimeUnit.SECONDS);
      span.setAttribute("messaging.destination.partition.id", String.valueOf(metadata.partition()));
      span.setAttribute("messaging.kafka.offset", metadata.offset());
    } catch (Exception e) {
      // The payment itself stands; only the notification is lost. Visible as an error span.
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, "publish failed: " + e);
      System.err.println("publish failed: " + e);
    } finally {
      span.end();
    }
  }

  private static void reply(HttpExchange exchange, int code, JsonNode body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  public static void main(String[] args) throws IOException {
    int port = Integer.parseInt(env("PORT", "8083"));
    PaymentService service =
        new PaymentService(
            env("PAYMENT_PROVIDER_URL", "http://127.0.0.1:8085"),
            env("KAFKA_BROKERS", "127.0.0.1:9092"),
            "1".equals(System.getenv("DEMO_SKIP_INJECTION")));

    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
    server.createContext("/pay", service::handlePay);
    server.createContext(
        "/healthz", exchange -> reply(exchange, 200, JSON.createObjectNode().put("status", "ok")));
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.stop(0); // JDK 17 would wait the whole delay, even when idle
                  service.producer.close(Duration.ofSeconds(2));
                }));
    System.out.println(
        "payment-service on :" + port + (service.skipInjection ? " (DEMO_SKIP_INJECTION: no trace context in Kafka headers)" : ""));
  }
}
