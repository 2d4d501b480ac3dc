// Sends a fixed set of spans covering every field the Java SDK's API can set,
// through the official OTLP exporter (http/protobuf or grpc), and writes what
// the SDK itself recorded (its in-memory exporter) in canonical form.
//
// usage: SendSpans --endpoint URL --protocol http/protobuf|grpc --run-id ID --out FILE
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanLimits;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

public final class SendSpans {
  public static void main(String[] argv) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) a.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    String endpoint = a.get("endpoint");
    SpanExporter otlp = "grpc".equals(a.get("protocol"))
        ? OtlpGrpcSpanExporter.builder().setEndpoint(endpoint).build()
        : OtlpHttpSpanExporter.builder().setEndpoint(endpoint.replaceAll("/$", "") + "/v1/traces").build();
    InMemorySpanExporter memory = InMemorySpanExporter.create();
    Resource resource = Resource.create(Attributes.builder()
        .put("service.name", "interop-java").put("run.id", a.get("run-id"))
        // Java resources require ASCII keys; the value stays non-ASCII.
        .put("hello.unicode", "wörld ✓ 日本").put("deployment.environment", "test").build());
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(resource)
        .setSpanLimits(SpanLimits.builder().setMaxNumberOfAttributes(16).setMaxNumberOfEvents(5)
            .setMaxNumberOfLinks(5).build())
        .addSpanProcessor(SimpleSpanProcessor.create(memory))
        .addSpanProcessor(BatchSpanProcessor.builder(otlp).build())
        .build();
    Tracer tracer = provider.tracerBuilder("interop.java").setInstrumentationVersion("1.2.3")
        .setSchemaUrl("https://opentelemetry.io/schemas/1.24.0").build();
    emit(tracer);
    provider.forceFlush().join(30, TimeUnit.SECONDS);
    List<SpanData> spans = new ArrayList<>(memory.getFinishedSpanItems());
    provider.shutdown().join(30, TimeUnit.SECONDS);
    spans.sort(Comparator.comparing(SpanData::getSpanId));
    StringBuilder out = new StringBuilder("{\"spans\":[");
    for (int i = 0; i < spans.size(); i++) out.append(i == 0 ? "" : ",").append(canonical(spans.get(i)));
    Files.writeString(Path.of(a.get("out")), out.append("]}").toString(), StandardCharsets.UTF_8);
  }

  static void emit(Tracer tracer) {
    long base = System.currentTimeMillis() * 1_000_000L - 60_000_000_000L;
    SpanContext remote = SpanContext.createFromRemoteParent("5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174", TraceFlags.getSampled(),
        TraceState.builder().put("rojo", "00f067aa0ba902b7").put("congo", "t61rcWkgMzE").build());
    Context ctx = Context.root().with(Span.wrap(remote));
    Span root = tracer.spanBuilder("GET /kitchen-sink ünïcode ✓").setParent(ctx)
        .setSpanKind(SpanKind.SERVER).setStartTimestamp(base, TimeUnit.NANOSECONDS)
        .setAttribute("str", "value").setAttribute("empty", "").setAttribute("bool", true)
        .setAttribute("int", 42L).setAttribute("negative", -9007199254740993L)
        .setAttribute("double", 3.25).setAttribute("non.ascii", "héllo wörld ✓ 日本")
        .setAttribute(AttributeKey.stringArrayKey("arr.str"), List.of("a", "", "ü"))
        .setAttribute(AttributeKey.booleanArrayKey("arr.bool"), List.of(true, false))
        .setAttribute(AttributeKey.longArrayKey("arr.int"), List.of(1L, -2L, 3L))
        .setAttribute(AttributeKey.doubleArrayKey("arr.double"), List.of(1.5, -0.25))
        .startSpan();
    root.addEvent("cache.miss", Attributes.builder().put("cache.key", "user:42").put("attempt", 2L).build(),
        base + 1000, TimeUnit.NANOSECONDS);
    root.addEvent("no-attributes", base + 2000, TimeUnit.NANOSECONDS);
    root.setStatus(StatusCode.ERROR, "boom: payment declined");
    Context rootCtx = Context.root().with(root);
    SpanContext linked = SpanContext.createFromRemoteParent("11111111111111111111111111111111",
        "2222222222222222", TraceFlags.getDefault(), TraceState.builder().put("vendor", "x").build());
    Span client = tracer.spanBuilder("call downstream").setParent(rootCtx).setSpanKind(SpanKind.CLIENT)
        .setStartTimestamp(base + 10_000, TimeUnit.NANOSECONDS)
        .addLink(linked, Attributes.builder().put("link.reason", "retry-of").put("n", 1L).build())
        .startSpan();
    client.setStatus(StatusCode.OK);
    client.end(base + 20_000, TimeUnit.NANOSECONDS);
    SpanKind[] kinds = {SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.INTERNAL};
    for (int i = 0; i < kinds.length; i++) {
      tracer.spanBuilder("kind-" + kinds[i].name().toLowerCase()).setParent(rootCtx).setSpanKind(kinds[i])
          .setStartTimestamp(base + 30_000 + i, TimeUnit.NANOSECONDS).startSpan()
          .end(base + 40_000 + i, TimeUnit.NANOSECONDS);
    }
    tracer.spanBuilder("zero-length").setParent(rootCtx).setStartTimestamp(base + 50_000, TimeUnit.NANOSECONDS)
        .startSpan().end(base + 50_000, TimeUnit.NANOSECONDS);
    tracer.spanBuilder("ten-hours").setParent(rootCtx).setStartTimestamp(base - 36_000_000_000_000L, TimeUnit.NANOSECONDS)
        .startSpan().end(base, TimeUnit.NANOSECONDS);
    var builder = tracer.spanBuilder("over-the-limits").setParent(rootCtx).setStartTimestamp(base + 60_000, TimeUnit.NANOSECONDS);
    for (int i = 0; i < 7; i++) builder.addLink(linked, Attributes.builder().put("i", (long) i).build());
    Span overflow = builder.startSpan();
    for (int i = 0; i < 20; i++) overflow.setAttribute(String.format("attr.%02d", i), (long) i);
    for (int i = 0; i < 7; i++) overflow.addEvent("event-" + i, base + 60_000 + i, TimeUnit.NANOSECONDS);
    overflow.end(base + 70_000, TimeUnit.NANOSECONDS);
    root.end(base + 100_000, TimeUnit.NANOSECONDS);
  }

  static String q(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  static String value(Object v) {
    if (v instanceof Boolean) return "[\"bool\"," + v + "]";
    if (v instanceof Long) return "[\"int\"," + v + "]";
    if (v instanceof Double) return "[\"double\"," + v + "]";
    if (v instanceof String) return "[\"string\"," + q((String) v) + "]";
    StringBuilder b = new StringBuilder("[\"array\",[");
    int i = 0;
    for (Object x : (List<?>) v) b.append(i++ == 0 ? "" : ",").append(value(x));
    return b.append("]]").toString();
  }

  static String attrs(Attributes attributes) {
    StringBuilder b = new StringBuilder("{");
    int[] i = {0};
    attributes.forEach((k, v) -> b.append(i[0]++ == 0 ? "" : ",").append(q(k.getKey())).append(':').append(value(v)));
    return b.append('}').toString();
  }

  // The Java OTLP exporter sends W3C trace flags plus the is-remote bits.
  static int flags(SpanContext sc, boolean remote) {
    return (sc.getTraceFlags().asByte() & 0xff) | 0x100 | (remote ? 0x200 : 0);
  }

  static String traceState(TraceState ts) {
    StringBuilder b = new StringBuilder();
    ts.forEach((k, v) -> b.append(b.length() == 0 ? "" : ",").append(k).append('=').append(v));
    return b.toString();
  }

  static String canonical(SpanData s) {
    StringBuilder events = new StringBuilder("[");
    for (EventData e : s.getEvents()) {
      events.append(events.length() == 1 ? "" : ",").append("{\"name\":").append(q(e.getName()))
          .append(",\"time\":\"").append(e.getEpochNanos()).append("\",\"attributes\":").append(attrs(e.getAttributes())).append('}');
    }
    StringBuilder links = new StringBuilder("[");
    for (LinkData l : s.getLinks()) {
      links.append(links.length() == 1 ? "" : ",").append("{\"trace_id\":").append(q(l.getSpanContext().getTraceId()))
          .append(",\"span_id\":").append(q(l.getSpanContext().getSpanId()))
          .append(",\"trace_state\":").append(q(traceState(l.getSpanContext().getTraceState())))
          .append(",\"flags\":").append(flags(l.getSpanContext(), l.getSpanContext().isRemote()))
          .append(",\"attributes\":").append(attrs(l.getAttributes())).append('}');
    }
    String parent = s.getParentSpanContext().isValid() ? s.getParentSpanId() : "";
    return "{\"trace_id\":" + q(s.getTraceId()) + ",\"span_id\":" + q(s.getSpanId())
        + ",\"parent_span_id\":" + q(parent) + ",\"trace_state\":" + q(traceState(s.getSpanContext().getTraceState()))
        + ",\"name\":" + q(s.getName()) + ",\"kind\":" + (s.getKind().ordinal() + 1)
        + ",\"start\":\"" + s.getStartEpochNanos() + "\",\"end\":\"" + s.getEndEpochNanos() + "\""
        + ",\"attributes\":" + attrs(s.getAttributes()) + ",\"events\":" + events + "]"
        + ",\"links\":" + links + "]"
        + ",\"status\":{\"code\":" + s.getStatus().getStatusCode().ordinal() + ",\"message\":" + q(s.getStatus().getDescription()) + "}"
        + ",\"dropped_attributes_count\":" + (s.getTotalAttributeCount() - s.getAttributes().size())
        + ",\"dropped_events_count\":" + (s.getTotalRecordedEvents() - s.getEvents().size())
        + ",\"dropped_links_count\":" + (s.getTotalRecordedLinks() - s.getLinks().size())
        + ",\"flags\":" + flags(s.getSpanContext(), s.getParentSpanContext().isRemote())
        + ",\"resource\":" + attrs(s.getResource().getAttributes())
        + ",\"scope\":{\"name\":" + q(s.getInstrumentationScopeInfo().getName()) + ",\"version\":"
        + q(s.getInstrumentationScopeInfo().getVersion() == null ? "" : s.getInstrumentationScopeInfo().getVersion()) + "}}";
  }
}
