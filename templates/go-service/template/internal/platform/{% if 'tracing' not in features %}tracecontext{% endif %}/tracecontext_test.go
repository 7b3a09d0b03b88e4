package tracecontext

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestExtractAndLogAttrs(t *testing.T) {
	for _, tc := range []struct {
		name, header, want string
	}{
		{"valid", traceparent, "4bf92f3577b34da6a3ce929d0e0e4736"},
		{"none", "", ""},
		{"malformed", "00-zz-00f067aa0ba902b7-01", ""},
		{"zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("traceparent", tc.header)
			}
			attrs := LogAttrs(Extract(t.Context(), Propagator(), h))
			switch {
			case tc.want == "" && len(attrs) != 0:
				t.Fatalf("LogAttrs = %v, want none", attrs)
			case tc.want != "" && (len(attrs) != 1 || attrs[0].Key != "trace_id" || attrs[0].Value.String() != tc.want):
				t.Fatalf("LogAttrs = %v, want trace_id=%s", attrs, tc.want)
			}
		})
	}
}

type recordTransport struct{ got *http.Request }

func (r *recordTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.got = req
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: req}, nil
}

// TestTransportInjects: the outbound request carries the caller's trace
// context (and its baggage); the caller's request is left unmodified.
func TestTransportInjects(t *testing.T) {
	in := http.Header{}
	in.Set("traceparent", traceparent)
	in.Set("baggage", "tenant=acme")
	ctx := Extract(t.Context(), Propagator(), in)

	rec := &recordTransport{}
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "http://upstream.invalid/", nil)
	resp, err := Transport(Propagator(), rec).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if got := rec.got.Header.Get("traceparent"); got != traceparent {
		t.Fatalf("outbound traceparent %q, want %q", got, traceparent)
	}
	if got := rec.got.Header.Get("baggage"); got != "tenant=acme" {
		t.Fatalf("outbound baggage %q, want tenant=acme", got)
	}
	if req.Header.Get("traceparent") != "" {
		t.Fatal("the caller's request was modified")
	}

	plain := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "http://upstream.invalid/", nil)
	resp, err = Transport(Propagator(), rec).RoundTrip(plain)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if rec.got != plain || len(plain.Header) != 0 {
		t.Fatal("a request outside any trace was changed")
	}
}
