package tracing

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestValidate(t *testing.T) {
	tests := []struct {
		cfg     Options
		wantErr string
	}{
		{Options{}, ""},
		{Options{SampleRatio: 1}, ""},
		{Options{Enabled: true, Endpoint: "http://collector:4318", SampleRatio: 0.1}, ""},
		{Options{Enabled: true, Endpoint: "https://collector/v1/traces"}, ""},
		{Options{SampleRatio: -0.1}, "tracing.sample_ratio"},
		{Options{SampleRatio: 1.5}, "tracing.sample_ratio"},
		{Options{Enabled: true}, "tracing.endpoint: required"},
		{Options{Enabled: true, Endpoint: "collector:4318"}, "tracing.endpoint: must be"},
		{Options{Enabled: true, Endpoint: "http://"}, "tracing.endpoint: must be"},
		{Options{Enabled: true, Endpoint: "http://a b/%zz"}, "tracing.endpoint: must be"},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%+v: %v", tt.cfg, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%+v: err = %v, want %q", tt.cfg, err, tt.wantErr)
		}
		if _, _, err := Setup(t.Context(), tt.cfg); err == nil {
			t.Errorf("%+v: Setup accepted an invalid config", tt.cfg)
		}
	}
}

func TestEndpointURL(t *testing.T) {
	tests := map[string]string{
		"http://collector:4318":           "http://collector:4318/v1/traces",
		"http://collector:4318/":          "http://collector:4318/v1/traces",
		"https://collector/custom/traces": "https://collector/custom/traces",
		"%zz":                             "%zz",
	}
	for in, want := range tests {
		if got := (Options{Endpoint: in}).endpointURL(); got != want {
			t.Errorf("endpointURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDisabledIsNoop(t *testing.T) {
	p, shutdown, err := Setup(t.Context(), Options{Enabled: false, Endpoint: "http://unused:4318", SampleRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, span := p.TracerProvider.Tracer("test").Start(t.Context(), "op")
	span.End()
	if span.IsRecording() || span.SpanContext().IsValid() {
		t.Fatal("a disabled tracer recorded a span")
	}
	if attrs := LogAttrs(ctx); attrs != nil {
		t.Fatalf("log attrs without a trace: %v", attrs)
	}
	if err := shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if fields := p.Propagator.Fields(); !contains(fields, "traceparent") {
		t.Fatalf("propagator fields %v lack traceparent", fields)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// collector is a fake OTLP/HTTP receiver that counts trace exports.
func collector(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var exports atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == DefaultPath && r.Method == http.MethodPost &&
			r.Header.Get("Content-Type") == "application/x-protobuf" {
			exports.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &exports
}

func TestEnabledExportsOverOTLPHTTP(t *testing.T) {
	srv, exports := collector(t)
	p, shutdown, err := Setup(t.Context(), Options{Enabled: true, Endpoint: srv.URL, SampleRatio: 1},
		WithService("demo", "1.2.3"))
	if err != nil {
		t.Fatal(err)
	}
	_, span := p.TracerProvider.Tracer("test").Start(t.Context(), "op")
	if !span.IsRecording() || !span.SpanContext().IsSampled() {
		t.Fatal("span not sampled at ratio 1")
	}
	span.End()
	if err := shutdown(t.Context()); err != nil { // flushes the batch
		t.Fatal(err)
	}
	if n := exports.Load(); n != 1 {
		t.Fatalf("collector got %d exports, want 1", n)
	}
}

func TestSampleRatioZeroExportsNothing(t *testing.T) {
	srv, exports := collector(t)
	p, shutdown, err := Setup(t.Context(), Options{Enabled: true, Endpoint: srv.URL, SampleRatio: 0})
	if err != nil {
		t.Fatal(err)
	}
	ctx, span := p.TracerProvider.Tracer("test").Start(t.Context(), "op")
	if span.SpanContext().IsSampled() {
		t.Fatal("sampled at ratio 0")
	}
	// Not sampled, but the IDs still exist for log correlation.
	if len(LogAttrs(ctx)) != 2 {
		t.Fatal("no trace_id/span_id for an unsampled span")
	}
	span.End()
	if err := shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := exports.Load(); n != 0 {
		t.Fatalf("collector got %d exports at ratio 0", n)
	}
}

func TestSampledParentIsHonoured(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	p, shutdown, err := Setup(t.Context(), Options{Enabled: true, Endpoint: "http://unused:4318", SampleRatio: 0},
		WithExporter(exp), WithService("demo", ""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shutdown(context.Background()) })
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1},
		SpanID:     trace.SpanID{2},
		TraceFlags: trace.FlagsSampled,
		Remote:     true,
	})
	ctx := trace.ContextWithRemoteSpanContext(t.Context(), parent)
	_, span := p.TracerProvider.Tracer("test").Start(ctx, "child")
	span.End()
	sdk, ok := p.TracerProvider.(*sdktrace.TracerProvider)
	if !ok {
		t.Fatalf("enabled tracing returned %T, want the SDK provider", p.TracerProvider)
	}
	if err := sdk.ForceFlush(t.Context()); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].SpanContext.TraceID() != parent.TraceID() {
		t.Fatalf("exported %d spans; a sampled parent must be followed", len(spans))
	}
	if v, ok := spans[0].Resource.Set().Value(attribute.Key("service.name")); !ok || v.AsString() != "demo" {
		t.Fatalf("service.name = %v", v)
	}
}

func TestLogAttrs(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, span := tp.Tracer("test").Start(t.Context(), "op")
	defer span.End()
	var b strings.Builder
	logger := slog.New(slog.NewJSONHandler(&b, nil))
	logger.InfoContext(ctx, "hello", slog.Any("", slog.GroupValue(LogAttrs(ctx)...)))
	out := b.String()
	sc := span.SpanContext()
	if !strings.Contains(out, `"trace_id":"`+sc.TraceID().String()+`"`) ||
		!strings.Contains(out, `"span_id":"`+sc.SpanID().String()+`"`) {
		t.Fatalf("log line %s lacks the trace and span IDs", out)
	}
}
