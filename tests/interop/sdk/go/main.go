// Sends a fixed set of spans covering every field the Go SDK's API can set,
// through the official OTLP exporter (otlptracehttp or otlptracegrpc), and
// writes what the SDK itself recorded (tracetest's in-memory exporter) in
// canonical form.
//
// usage: send-spans --endpoint URL --protocol http/protobuf|grpc --run-id ID --out FILE
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func exporter(ctx context.Context, protocol, endpoint string) sdktrace.SpanExporter {
	host := strings.TrimPrefix(strings.TrimPrefix(endpoint, "http://"), "https://")
	var exp sdktrace.SpanExporter
	var err error
	// https:// takes its TLS settings from OTEL_EXPORTER_OTLP_CERTIFICATE,
	// _CLIENT_CERTIFICATE and _CLIENT_KEY, as the SDK documents.
	secure := strings.HasPrefix(endpoint, "https://")
	if protocol == "grpc" {
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(host)}
		if !secure {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	} else {
		opts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(host)}
		if !secure {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		exp, err = otlptracehttp.New(ctx, opts...)
	}
	if err != nil {
		log.Fatal(err)
	}
	return exp
}

func emit(tracer trace.Tracer) {
	base := time.Now().Add(-time.Minute)
	at := func(ns int64) time.Time { return base.Add(time.Duration(ns)) }
	tid, _ := trace.TraceIDFromHex("5b8efff798038103d269b633813fc60c")
	sid, _ := trace.SpanIDFromHex("eee19b7ec3c1b174")
	ts, _ := trace.ParseTraceState("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
	remote := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid,
		TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), remote)
	ctx, root := tracer.Start(ctx, "GET /kitchen-sink ünïcode ✓", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithTimestamp(at(0)), trace.WithAttributes(
			attribute.String("str", "value"), attribute.String("empty", ""), attribute.Bool("bool", true),
			attribute.Int64("int", 42), attribute.Int64("negative", -9007199254740993),
			attribute.Float64("double", 3.25), attribute.String("non.ascii", "héllo wörld ✓ 日本"),
			attribute.StringSlice("arr.str", []string{"a", "", "ü"}), attribute.BoolSlice("arr.bool", []bool{true, false}),
			attribute.Int64Slice("arr.int", []int64{1, -2, 3}), attribute.Float64Slice("arr.double", []float64{1.5, -0.25})))
	root.AddEvent("cache.miss", trace.WithTimestamp(at(1000)),
		trace.WithAttributes(attribute.String("cache.key", "user:42"), attribute.Int("attempt", 2)))
	root.AddEvent("no-attributes", trace.WithTimestamp(at(2000)))
	root.SetStatus(codes.Error, "boom: payment declined")

	ltid, _ := trace.TraceIDFromHex("11111111111111111111111111111111")
	lsid, _ := trace.SpanIDFromHex("2222222222222222")
	lts, _ := trace.ParseTraceState("vendor=x")
	linked := trace.NewSpanContext(trace.SpanContextConfig{TraceID: ltid, SpanID: lsid, TraceState: lts, Remote: true})
	_, client := tracer.Start(ctx, "call downstream", trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(at(10000)),
		trace.WithLinks(trace.Link{SpanContext: linked, Attributes: []attribute.KeyValue{
			attribute.String("link.reason", "retry-of"), attribute.Int("n", 1)}}))
	client.SetStatus(codes.Ok, "")
	client.End(trace.WithTimestamp(at(20000)))
	for i, kind := range []trace.SpanKind{trace.SpanKindProducer, trace.SpanKindConsumer, trace.SpanKindInternal} {
		_, s := tracer.Start(ctx, fmt.Sprintf("kind-%s", kind), trace.WithSpanKind(kind), trace.WithTimestamp(at(30000+int64(i))))
		s.End(trace.WithTimestamp(at(40000 + int64(i))))
	}
	_, zero := tracer.Start(ctx, "zero-length", trace.WithTimestamp(at(50000)))
	zero.End(trace.WithTimestamp(at(50000)))
	_, long := tracer.Start(ctx, "ten-hours", trace.WithTimestamp(base.Add(-10*time.Hour)))
	long.End(trace.WithTimestamp(at(0)))
	var links []trace.Link
	for i := 0; i < 7; i++ {
		links = append(links, trace.Link{SpanContext: linked, Attributes: []attribute.KeyValue{attribute.Int("i", i)}})
	}
	_, overflow := tracer.Start(ctx, "over-the-limits", trace.WithTimestamp(at(60000)), trace.WithLinks(links...))
	for i := 0; i < 20; i++ {
		overflow.SetAttributes(attribute.Int(fmt.Sprintf("attr.%02d", i), i))
	}
	for i := 0; i < 7; i++ {
		overflow.AddEvent(fmt.Sprintf("event-%d", i), trace.WithTimestamp(at(60000+int64(i))))
	}
	overflow.End(trace.WithTimestamp(at(70000)))
	root.End(trace.WithTimestamp(at(100000)))
}

func value(v attribute.Value) []any {
	switch v.Type() {
	case attribute.BOOL:
		return []any{"bool", v.AsBool()}
	case attribute.INT64:
		return []any{"int", v.AsInt64()}
	case attribute.FLOAT64:
		return []any{"double", v.AsFloat64()}
	case attribute.STRING:
		return []any{"string", v.AsString()}
	case attribute.BOOLSLICE:
		out := []any{}
		for _, x := range v.AsBoolSlice() {
			out = append(out, []any{"bool", x})
		}
		return []any{"array", out}
	case attribute.INT64SLICE:
		out := []any{}
		for _, x := range v.AsInt64Slice() {
			out = append(out, []any{"int", x})
		}
		return []any{"array", out}
	case attribute.FLOAT64SLICE:
		out := []any{}
		for _, x := range v.AsFloat64Slice() {
			out = append(out, []any{"double", x})
		}
		return []any{"array", out}
	case attribute.STRINGSLICE:
		out := []any{}
		for _, x := range v.AsStringSlice() {
			out = append(out, []any{"string", x})
		}
		return []any{"array", out}
	}
	return []any{"empty", nil}
}

func attrs(kvs []attribute.KeyValue) map[string]any {
	out := map[string]any{}
	for _, kv := range kvs {
		out[string(kv.Key)] = value(kv.Value)
	}
	return out
}

// The Go exporter sends flags = W3C trace flags | has-is-remote | is-remote.
func flags(sc trace.SpanContext, remote bool) uint32 {
	f := uint32(sc.TraceFlags()) | 0x100
	if remote {
		f |= 0x200
	}
	return f
}

// OTLP status codes (Ok=1, Error=2) from Go's codes (Error=1, Ok=2).
func statusCode(c codes.Code) int {
	switch c {
	case codes.Ok:
		return 1
	case codes.Error:
		return 2
	}
	return 0
}

func canonical(s tracetest.SpanStub) map[string]any {
	parent := ""
	if s.Parent.IsValid() {
		parent = s.Parent.SpanID().String()
	}
	var events []map[string]any
	for _, e := range s.Events {
		events = append(events, map[string]any{"name": e.Name, "time": fmt.Sprint(e.Time.UnixNano()), "attributes": attrs(e.Attributes)})
	}
	var links []map[string]any
	for _, l := range s.Links {
		links = append(links, map[string]any{"trace_id": l.SpanContext.TraceID().String(), "span_id": l.SpanContext.SpanID().String(),
			// The Go OTLP exporter does not send a link's trace_state.
			"trace_state": "", "flags": flags(l.SpanContext, l.SpanContext.IsRemote()),
			"attributes": attrs(l.Attributes)})
	}
	if events == nil {
		events = []map[string]any{}
	}
	if links == nil {
		links = []map[string]any{}
	}
	return map[string]any{
		"trace_id": s.SpanContext.TraceID().String(), "span_id": s.SpanContext.SpanID().String(),
		"parent_span_id": parent, "trace_state": s.SpanContext.TraceState().String(), "name": s.Name,
		"kind": int(s.SpanKind), "start": fmt.Sprint(s.StartTime.UnixNano()), "end": fmt.Sprint(s.EndTime.UnixNano()),
		"attributes": attrs(s.Attributes), "events": events, "links": links,
		"status":                   map[string]any{"code": statusCode(s.Status.Code), "message": s.Status.Description},
		"dropped_attributes_count": s.DroppedAttributes, "dropped_events_count": s.DroppedEvents,
		"dropped_links_count": s.DroppedLinks, "flags": flags(s.SpanContext, s.Parent.IsRemote()),
		"resource": attrs(s.Resource.Attributes()),
		"scope":    map[string]any{"name": s.InstrumentationScope.Name, "version": s.InstrumentationScope.Version},
	}
}

func main() {
	endpoint := flag.String("endpoint", "", "collector URL")
	protocol := flag.String("protocol", "http/protobuf", "http/protobuf or grpc")
	runID := flag.String("run-id", "", "run id resource attribute")
	out := flag.String("out", "", "canonical output file")
	flag.Parse()
	ctx := context.Background()
	res := resource.NewWithAttributes("", attribute.String("service.name", "interop-go"),
		attribute.String("run.id", *runID), attribute.String("héllo", "wörld ✓ 日本"),
		attribute.String("deployment.environment", "test"))
	limits := sdktrace.NewSpanLimits()
	limits.AttributeCountLimit, limits.EventCountLimit, limits.LinkCountLimit = 16, 5, 5
	memory := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithRawSpanLimits(limits),
		sdktrace.WithSyncer(memory), sdktrace.WithSyncer(exporter(ctx, *protocol, *endpoint)))
	emit(tp.Tracer("interop.go", trace.WithInstrumentationVersion("1.2.3"),
		trace.WithSchemaURL("https://opentelemetry.io/schemas/1.24.0")))
	if err := tp.ForceFlush(ctx); err != nil {
		log.Fatal(err)
	}
	var spans []map[string]any
	for _, s := range memory.GetSpans() {
		spans = append(spans, canonical(s))
	}
	if err := tp.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i]["span_id"].(string) < spans[j]["span_id"].(string) })
	data, _ := json.MarshalIndent(map[string]any{"spans": spans}, "", " ")
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		log.Fatal(err)
	}
}
