package middleware

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newMetricsHandler(t testing.TB, reg *prometheus.Registry) http.Handler {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/items/{id}", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	mux.HandleFunc("/plain", func(http.ResponseWriter, *http.Request) {})
	m, err := NewHTTPMetrics(reg, MuxRoute(mux), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return m.Middleware()(mux)
}

func TestMetricsLabelsUsePatterns(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := newMetricsHandler(t, reg)
	for _, target := range []string{"/v1/items/1", "/v1/items/2", "/nope/123", "/plain"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/plain", nil))

	if n := testutil.CollectAndCount(reg, "http_request_duration_seconds"); n != 4 {
		t.Errorf("series = %d, want 4 (items, unmatched, plain GET, plain OTHER)", n)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			key := labels["method"] + " " + labels["route"] + " " + labels["status"]
			got[key] = m.GetHistogram().GetSampleCount()
		}
	}
	wantCounts := map[string]uint64{
		"GET /v1/items/{id} 418": 2,
		"GET unmatched 404":      1,
		"GET /plain 200":         1,
		"OTHER /plain 200":       1,
	}
	for k, v := range wantCounts {
		if got[k] != v {
			t.Errorf("%s: count %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	for k := range got {
		if strings.Contains(k, "/v1/items/1") || strings.Contains(k, "/nope") {
			t.Errorf("raw path used as a label: %s", k)
		}
	}
}

func TestMuxRouteWhenRequestWasCopied(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/things/{id}", func(http.ResponseWriter, *http.Request) {})
	route := MuxRoute(mux)
	req := httptest.NewRequest(http.MethodPost, "/v1/things/9", nil)
	// Pattern is empty on a request the mux never saw (e.g. a copy made by
	// r.WithContext in a middleware between metrics and the mux).
	if got := route(req); got != "/v1/things/{id}" {
		t.Errorf("route = %q", got)
	}
}

func TestMetricsRegisterTwiceFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	newMetricsHandler(t, reg)
	if _, err := NewHTTPMetrics(reg, func(*http.Request) string { return "" }, time.Now); err == nil {
		t.Error("registering the histogram twice must fail")
	}
}

func BenchmarkMetrics(b *testing.B) {
	h := newMetricsHandler(b, prometheus.NewRegistry())
	req := httptest.NewRequest(http.MethodGet, "/v1/items/1", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
