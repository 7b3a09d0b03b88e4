package httpclient

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sony/gobreaker/v2"
)

// BenchmarkClient compares the breaker-wrapped client (size limit, request
// ID, breaker, retry loop) with a plain http.Client on the same transport
// settings, against a loopback httptest server with a 1 KiB body.
func BenchmarkClient(b *testing.B) {
	payload := make([]byte, 1024)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(payload)
	}))
	b.Cleanup(srv.Close)
	cfg := DefaultOptions()

	b.Run("plain", func(b *testing.B) {
		hc := &http.Client{Timeout: cfg.Timeout, Transport: newTransport(cfg)}
		b.Cleanup(hc.CloseIdleConnections)
		b.ReportAllocs()
		for b.Loop() {
			req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, srv.URL, nil)
			if err != nil {
				b.Fatal(err)
			}
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer // read into memory, as the wrapped client does
			_, _ = buf.ReadFrom(resp.Body)
			_ = resp.Body.Close()
		}
	})
	b.Run("breaker", func(b *testing.B) {
		c, err := New(cfg, slog.New(slog.DiscardHandler), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(c.CloseIdleConnections)
		up := c.Upstream("bench")
		b.ReportAllocs()
		for b.Loop() {
			req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, srv.URL, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := up.Do(req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkBreakerExecute is the breaker's own cost, without the network.
func BenchmarkBreakerExecute(b *testing.B) {
	cb := gobreaker.NewCircuitBreaker[*Response](gobreaker.Settings{Name: "bench"})
	resp := &Response{}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = cb.Execute(func() (*Response, error) { return resp, nil })
	}
}
