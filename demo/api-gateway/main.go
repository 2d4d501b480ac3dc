// api-gateway: the entry point of the polytrace demo.
//
// GET /checkout?user=NAME&amount=N verifies the user (auth-service), fetches recommendations
// (recommendation-service), checks the item is in stock (inventory-service, ?item=, default
// "book") and charges the payment (payment-service), then answers with a JSON
// summary that includes the trace id, so a caller can look the whole trace up in polytrace.
//
// Tracing: otelhttp.NewHandler makes the SERVER span of each request and otelhttp.NewTransport a
// CLIENT span per downstream call, injecting the W3C traceparent header into it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/contrib/propagators/b3"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

var (
	authURL      = env("AUTH_URL", "http://127.0.0.1:8081")
	recoURL      = env("RECOMMENDATION_URL", "http://127.0.0.1:8082")
	paymentURL   = env("PAYMENT_URL", "http://127.0.0.1:8083")
	inventoryURL = env("INVENTORY_URL", "http://127.0.0.1:8086")
)

// spanName gives "GET /checkout"-style names to server and client spans alike.
func spanName(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }

func initTracing(ctx context.Context) (func(context.Context) error, error) {
	// Explicit http:// endpoint: without it the exporter would default to https://localhost:4318.
	endpoint := env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	exporter, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint+"/v1/traces"))
	if err != nil {
		return nil, err
	}
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(), // telemetry.sdk.language=go, name, version
		resource.WithFromEnv(),      // OTEL_RESOURCE_ATTRIBUTES, if any
		resource.WithAttributes(
			attribute.String("service.name", "api-gateway"),
			attribute.String("service.version", "1.0.0"),
			attribute.String("deployment.environment", "demo"),
		),
	)
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exporter), // OTEL_BSP_SCHEDULE_DELAY etc. apply
		sdktrace.WithResource(res),
	)
	otel.SetTracerProvider(tp)
	// W3C Trace Context (+ baggage): the header every other service in the demo understands.
	// DEMO_FAULT=b3-propagation reproduces "propagator formats disagree": the gateway injects only
	// B3 (one "b3" header, as a service configured for a Zipkin world does), which the other
	// services, extracting W3C only, do not read, so each starts a trace of its own.
	if os.Getenv("DEMO_FAULT") == "b3-propagation" {
		otel.SetTextMapPropagator(b3.New(b3.WithInjectEncoding(b3.B3SingleHeader)))
	} else {
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	}
	return tp.Shutdown, nil
}

type gateway struct{ client *http.Client }

// call sends one downstream request and decodes its JSON answer (whatever the status code).
func (g *gateway) call(ctx context.Context, method, url string, body any, out any) (int, error) {
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		reader = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, reader)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d with unreadable body: %w", method, url, resp.StatusCode, err)
	}
	return resp.StatusCode, nil
}

func reply(w http.ResponseWriter, code int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

func (g *gateway) checkout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	span := trace.SpanFromContext(ctx) // the SERVER span otelhttp started
	traceID := span.SpanContext().TraceID().String()
	fail := func(code int, msg string, extra map[string]any) {
		body := map[string]any{"trace_id": traceID, "error": msg}
		for k, v := range extra {
			body[k] = v
		}
		reply(w, code, body)
	}

	user := r.URL.Query().Get("user")
	amount, err := strconv.ParseFloat(r.URL.Query().Get("amount"), 64)
	if user == "" || err != nil || amount <= 0 {
		fail(http.StatusBadRequest, "need ?user=NAME&amount=N (N > 0)", nil)
		return
	}
	span.SetAttributes(attribute.String("enduser.id", user), attribute.Float64("checkout.amount", amount))

	// 1. Who is it? An unknown user stops the checkout here.
	var auth map[string]any
	code, err := g.call(ctx, http.MethodGet, authURL+"/auth/verify?user="+url.QueryEscape(user), nil, &auth)
	switch {
	case err != nil:
		fail(http.StatusBadGateway, "auth-service: "+err.Error(), nil)
		return
	case code == http.StatusUnauthorized:
		fail(http.StatusUnauthorized, "unknown user", map[string]any{"user": user, "auth": auth})
		return
	case code != http.StatusOK:
		fail(http.StatusBadGateway, fmt.Sprintf("auth-service answered HTTP %d", code), map[string]any{"auth": auth})
		return
	}

	// 2. Recommendations are a nice-to-have: the checkout goes on without them.
	var reco struct {
		Model string           `json:"model"`
		Items []map[string]any `json:"items"`
	}
	recoErr := ""
	if code, err := g.call(ctx, http.MethodGet, recoURL+"/recommendations?user="+url.QueryEscape(user), nil, &reco); err != nil {
		recoErr = err.Error()
	} else if code != http.StatusOK {
		recoErr = fmt.Sprintf("recommendation-service answered HTTP %d", code)
	}
	if reco.Items == nil {
		reco.Items = []map[string]any{} // [] rather than null in the summary
	}

	// 3. Is the item in stock? inventory-service (Rust) answers {"available": bool, ...}.
	item := r.URL.Query().Get("item")
	if item == "" {
		item = "book"
	}
	var stock map[string]any
	code, err = g.call(ctx, http.MethodGet, inventoryURL+"/inventory?item="+url.QueryEscape(item)+"&qty=1", nil, &stock)
	switch {
	case err != nil:
		fail(http.StatusBadGateway, "inventory-service: "+err.Error(), nil)
		return
	case code != http.StatusOK:
		fail(http.StatusBadGateway, fmt.Sprintf("inventory-service answered HTTP %d", code), map[string]any{"inventory": stock})
		return
	case stock["available"] != true:
		fail(http.StatusConflict, "out of stock", map[string]any{"inventory": stock})
		return
	}

	// 4. Charge. payment-service answers 402 for a declined card.
	var payment map[string]any
	code, err = g.call(ctx, http.MethodPost, paymentURL+"/pay",
		map[string]any{"user": user, "amount": amount, "currency": "USD"}, &payment)
	if err != nil {
		fail(http.StatusBadGateway, "payment-service: "+err.Error(), nil)
		return
	}

	body := map[string]any{
		"trace_id":        traceID,
		"user":            user,
		"amount":          amount,
		"currency":        "USD",
		"auth":            auth,
		"recommendations": reco.Items,
		"inventory":       stock,
		"payment":         payment,
	}
	if recoErr != "" {
		body["recommendations_error"] = recoErr
	}
	switch code {
	case http.StatusOK:
		reply(w, http.StatusOK, body)
	case http.StatusPaymentRequired:
		body["error"] = "payment declined"
		reply(w, http.StatusPaymentRequired, body)
	default:
		body["error"] = fmt.Sprintf("payment-service answered HTTP %d", code)
		reply(w, http.StatusBadGateway, body)
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	shutdown, err := initTracing(ctx)
	if err != nil {
		log.Fatalf("tracing: %v", err)
	}

	g := &gateway{client: &http.Client{
		Transport: otelhttp.NewTransport(http.DefaultTransport, otelhttp.WithSpanNameFormatter(spanName)),
		Timeout:   10 * time.Second,
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /checkout", g.checkout)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	handler := otelhttp.NewHandler(mux, "api-gateway",
		otelhttp.WithSpanNameFormatter(spanName),
		// start.sh and run.sh poll /healthz: not worth a trace each.
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" }),
	)

	port := env("PORT", "8080")
	srv := &http.Server{Addr: "127.0.0.1:" + port, Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		log.Printf("api-gateway on :%s (auth %s, recommendation %s, payment %s)", port, authURL, recoURL, paymentURL)
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("listen: %v", err)
		}
	}()

	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if err := shutdown(sctx); err != nil { // flush the batched spans
		log.Printf("tracing shutdown: %v", err)
	}
}
