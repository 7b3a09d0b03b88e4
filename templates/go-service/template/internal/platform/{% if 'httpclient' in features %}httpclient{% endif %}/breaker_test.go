package httpclient

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Five callers with 10 ms deadlines against a healthy but slow upstream: each
// call ends with the caller's own context.DeadlineExceeded, which says
// nothing about the upstream, so the breaker stays closed.
func TestCallerDeadlinesLeaveBreakerClosed(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(100 * time.Millisecond):
			w.WriteHeader(http.StatusOK)
		case <-r.Context().Done():
		}
	})
	cfg := testConfig()
	cfg.Breaker.FailureThreshold = 5
	cfg.Retry.MaxAttempts = 3
	c, reg := newTestClient(t, cfg)
	up := c.Upstream("slow")

	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
			defer cancel()
			_, errs[i] = get(t, ctx, up, srv.URL)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("caller %d: err = %v, want context.DeadlineExceeded", i, err)
		}
	}
	labels := map[string]string{"name": "slow"}
	if v := metricValue(t, reg, "circuit_breaker_state", labels); v != 0 {
		t.Fatalf("circuit_breaker_state = %v, want 0 (closed): the callers' deadlines are not upstream failures", v)
	}
	excluded := map[string]string{"name": "slow", "result": "excluded"}
	if v := metricValue(t, reg, "circuit_breaker_requests_total", excluded); v != 5 {
		t.Fatalf("excluded = %v, want 5", v)
	}
	failures := map[string]string{"name": "slow", "result": "failure"}
	if v := metricValue(t, reg, "circuit_breaker_requests_total", failures); v != 0 {
		t.Fatalf("failures = %v, want 0", v)
	}
	// The upstream is healthy: a caller with time to wait gets its answer.
	if resp, err := get(t, t.Context(), up, srv.URL); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("patient caller: resp %+v, err %v", resp, err)
	}
	if got := up.breaker.Counts().ConsecutiveFailures; got != 0 {
		t.Fatalf("consecutive failures = %d, want 0", got)
	}
}

// Five consecutive logical calls that end in 5xx open the breaker, each
// counting once whatever its number of attempts.
func TestFiveConsecutive5xxLogicalCallsOpenBreaker(t *testing.T) {
	srv, hits := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	cfg := testConfig()
	cfg.Breaker.FailureThreshold = 5
	cfg.Retry.MaxAttempts = 3
	c, reg := newTestClient(t, cfg)
	up := c.Upstream("broken")
	labels := map[string]string{"name": "broken"}

	for i := range 4 {
		if resp, err := get(t, t.Context(), up, srv.URL); err != nil || resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("call %d: resp %+v, err %v", i, resp, err)
		}
	}
	if v := metricValue(t, reg, "circuit_breaker_state", labels); v != 0 {
		t.Fatalf("state after 4 logical calls (12 attempts) = %v, want 0: retries must not count", v)
	}
	if n := hits.Load(); n != 12 {
		t.Fatalf("upstream saw %d attempts, want 12", n)
	}
	if _, err := get(t, t.Context(), up, srv.URL); err != nil {
		t.Fatal(err)
	}
	if v := metricValue(t, reg, "circuit_breaker_state", labels); v != 1 {
		t.Fatalf("state after 5 logical calls = %v, want 1 (open)", v)
	}
	if _, err := get(t, t.Context(), up, srv.URL); !errors.Is(err, gobreaker.ErrOpenState) {
		t.Fatalf("err = %v, want ErrOpenState", err)
	}
	if n := hits.Load(); n != 15 {
		t.Fatalf("upstream saw %d attempts, want 15 (none while open)", n)
	}
	failures := map[string]string{"name": "broken", "result": "failure"}
	if v := metricValue(t, reg, "circuit_breaker_requests_total", failures); v != 5 {
		t.Fatalf("failures = %v, want 5 (one per logical call)", v)
	}
}

// A call that needed retries but ended well is one success.
func TestRetriedCallCountsOnce(t *testing.T) {
	var n atomic.Int64
	srv, hits := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%3 != 0 {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	cfg := testConfig()
	cfg.Breaker.FailureThreshold = 2
	cfg.Retry.MaxAttempts = 3
	c, reg := newTestClient(t, cfg)
	up := c.Upstream("flaky")
	for i := range 3 {
		if resp, err := get(t, t.Context(), up, srv.URL); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("call %d: resp %+v, err %v", i, resp, err)
		}
	}
	if hits.Load() != 9 {
		t.Fatalf("attempts = %d, want 9", hits.Load())
	}
	success := map[string]string{"name": "flaky", "result": "success"}
	if v := metricValue(t, reg, "circuit_breaker_requests_total", success); v != 3 {
		t.Fatalf("success = %v, want 3", v)
	}
	if v := metricValue(t, reg, "circuit_breaker_state", map[string]string{"name": "flaky"}); v != 0 {
		t.Fatalf("state = %v, want 0", v)
	}
}

// 4xx answers are the caller's problem, not the upstream's: successes. 429
// is the upstream shedding load: a failure.
func TestBreaker4xxSuccessBut429Failure(t *testing.T) {
	var status atomic.Int64
	status.Store(http.StatusBadRequest)
	srv, _ := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(int(status.Load()))
	})
	cfg := testConfig()
	cfg.Breaker.FailureThreshold = 2
	c, reg := newTestClient(t, cfg)
	up := c.Upstream("up")
	labels := map[string]string{"name": "up"}
	for _, code := range []int{400, 401, 403, 404, 409, 422, 400, 404} {
		status.Store(int64(code))
		if resp, err := get(t, t.Context(), up, srv.URL); err != nil || resp.StatusCode != code {
			t.Fatalf("%d: resp %+v, err %v", code, resp, err)
		}
	}
	if v := metricValue(t, reg, "circuit_breaker_state", labels); v != 0 {
		t.Fatalf("state = %v after 4xx answers, want 0", v)
	}
	status.Store(http.StatusTooManyRequests)
	for range 2 {
		if resp, err := get(t, t.Context(), up, srv.URL); err != nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("429: resp %+v, err %v", resp, err)
		}
	}
	if v := metricValue(t, reg, "circuit_breaker_state", labels); v != 1 {
		t.Fatalf("state = %v after two 429, want 1 (open)", v)
	}
}
