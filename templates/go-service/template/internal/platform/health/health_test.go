package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newChecker(clock *fakeClock) *Checker {
	return NewChecker(5*time.Second, time.Hour, WithClock(clock.Now))
}

type readyBody struct {
	Status string `json:"status"`
	Checks map[string]struct {
		Status    string  `json:"status"`
		Critical  bool    `json:"critical"`
		LatencyMS float64 `json:"latency_ms"`
		Error     string  `json:"error"`
	} `json:"checks"`
}

func get(t *testing.T, h http.Handler, ctx context.Context) (int, readyBody) {
	t.Helper()
	return getURL(t, h, ctx, "/readyz?verbose=1")
}

func getURL(t *testing.T, h http.Handler, ctx context.Context, url string) (int, readyBody) {
	t.Helper()
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var body readyBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", rec.Body.String(), err)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	return rec.Code, body
}

func TestLivenessNeverRunsChecks(t *testing.T) {
	rec := httptest.NewRecorder()
	LivenessHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"ok"`) {
		t.Errorf("healthz = %d %s", rec.Code, rec.Body)
	}
}

func TestReadyWithNoChecks(t *testing.T) {
	c := newChecker(&fakeClock{t: time.Unix(0, 0)})
	code, body := get(t, c.ReadinessHandler(), context.Background())
	if code != http.StatusOK || body.Status != ReadyOK || len(body.Checks) != 0 {
		t.Errorf("readyz = %d %+v", code, body)
	}
}

func TestReadinessReportsEachCheck(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	c := newChecker(clock)
	c.Register(Check{Name: "db", Fn: func(context.Context) error { clock.Advance(3 * time.Millisecond); return nil }})
	c.Register(Check{Name: "cache", Fn: func(context.Context) error { return errors.New("connection refused") }})
	code, body := get(t, c.ReadinessHandler(), context.Background())
	if code != http.StatusServiceUnavailable || body.Status != ReadyUnavailable {
		t.Fatalf("readyz = %d %+v", code, body)
	}
	if len(body.Checks) != 2 {
		t.Fatalf("checks = %+v", body.Checks)
	}
	if ch := body.Checks["cache"]; ch.Status != StatusDown || !ch.Critical || ch.Error != "connection refused" {
		t.Errorf("cache = %+v", ch)
	}
	if ch := body.Checks["db"]; ch.Status != StatusUp || ch.Error != "" || ch.LatencyMS != 3 {
		t.Errorf("db = %+v", ch)
	}
	// Without ?verbose=1 the names and statuses show, the error texts do not.
	if _, quiet := getURL(t, c.ReadinessHandler(), context.Background(), "/readyz"); quiet.Checks["cache"].Error != "" ||
		quiet.Checks["cache"].Status != StatusDown {
		t.Errorf("non-verbose body = %+v", quiet)
	}
}

// A non-critical check down degrades readiness but keeps 200; ShutDown
// turns it 503 shutting_down whatever the checks say.
func TestReadinessDegradedAndShuttingDown(t *testing.T) {
	c := newChecker(&fakeClock{t: time.Unix(0, 0)})
	c.Register(Check{Name: "redis", NonCritical: true, Fn: func(context.Context) error { return errors.New("refused") }})
	code, body := get(t, c.ReadinessHandler(), context.Background())
	if code != http.StatusOK || body.Status != ReadyDegraded || body.Checks["redis"].Critical || body.Checks["redis"].Status != StatusDown {
		t.Fatalf("non-critical down = %d %+v, want 200 degraded", code, body)
	}
	c.ShutDown()
	if code, body := get(t, c.ReadinessHandler(), context.Background()); code != http.StatusServiceUnavailable || body.Status != ReadyShuttingDown {
		t.Fatalf("after ShutDown = %d %+v, want 503 shutting_down", code, body)
	}
}

func TestResultsAreCachedForTTL(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	c := newChecker(clock)
	var calls atomic.Int32
	var fail atomic.Bool
	c.Register(Check{Name: "dep", Fn: func(context.Context) error {
		calls.Add(1)
		if fail.Load() {
			return errors.New("down")
		}
		return nil
	}})
	ctx := context.Background()
	if !Ready(c.Results(ctx)) {
		t.Fatal("want ready")
	}
	fail.Store(true)
	clock.Advance(4 * time.Second)
	if !Ready(c.Results(ctx)) || calls.Load() != 1 {
		t.Fatalf("within the TTL the cached result must be served (calls=%d)", calls.Load())
	}
	clock.Advance(2 * time.Second)
	if Ready(c.Results(ctx)) || calls.Load() != 2 {
		t.Fatalf("after the TTL the check must run again (calls=%d)", calls.Load())
	}
}

func TestCheckTimeoutAndPanic(t *testing.T) {
	c := NewChecker(time.Second, time.Hour)
	block := make(chan struct{})
	defer close(block)
	c.Register(Check{Name: "slow", Timeout: 20 * time.Millisecond, Fn: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}})
	c.Register(Check{Name: "stuck", Timeout: 20 * time.Millisecond, Fn: func(context.Context) error {
		<-block // ignores its context: abandoned at the timeout
		return nil
	}})
	c.Register(Check{Name: "boom", Fn: func(context.Context) error { panic("kaboom") }})
	results := c.Results(context.Background())
	byName := map[string]Result{}
	for _, r := range results {
		byName[r.Name] = r
	}
	if r := byName["slow"]; r.Status != StatusDown || !strings.Contains(r.LastError, "timed out after 20ms") {
		t.Errorf("slow = %+v", r)
	}
	if r := byName["stuck"]; r.Status != StatusDown || !strings.Contains(r.LastError, "timed out") {
		t.Errorf("stuck = %+v", r)
	}
	if r := byName["boom"]; r.Status != StatusDown || r.LastError != "check panicked: kaboom" {
		t.Errorf("boom = %+v", r)
	}
}

func TestChecksUseTheRequestContext(t *testing.T) {
	c := NewChecker(time.Second, time.Hour)
	type key struct{}
	var seen atomic.Value
	c.Register(Check{Name: "ctx", Fn: func(ctx context.Context) error {
		seen.Store(ctx.Value(key{}))
		return nil
	}})
	ctx := context.WithValue(context.Background(), key{}, "request")
	code, _ := get(t, c.ReadinessHandler(), ctx)
	if code != http.StatusOK || seen.Load() != "request" {
		t.Errorf("code=%d, check saw %v", code, seen.Load())
	}
}

func TestCancelledRequestDoesNotPoisonCache(t *testing.T) {
	c := NewChecker(time.Hour, time.Hour)
	c.Register(Check{Name: "dep", Fn: func(ctx context.Context) error { return ctx.Err() }})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, body := get(t, c.ReadinessHandler(), ctx)
	if code != http.StatusServiceUnavailable || body.Checks["dep"].Status != StatusDown || body.Checks["dep"].Error != "not checked yet" {
		t.Fatalf("not yet checked must be 503/unknown, got %d %+v", code, body)
	}
	code, _ = get(t, c.ReadinessHandler(), context.Background())
	if code != http.StatusOK {
		t.Errorf("a live request must run the check, got %d", code)
	}
}

func TestRunRefreshesUntilCancelled(t *testing.T) {
	c := NewChecker(time.Hour, time.Millisecond)
	ran := make(chan struct{})
	c.Register(Check{Name: "dep", Fn: func(ctx context.Context) error {
		select {
		case ran <- struct{}{}:
		case <-ctx.Done():
		}
		return nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		c.Run(ctx)
		close(done)
	}()
	<-ran
	<-ran // a second run starts only after the first one's results are stored
	if !Ready(c.snapshot()) {
		t.Error("the refresher must store its results")
	}
	cancel()
	<-done // goleak checks nothing is left behind
}

func TestRegisterReplacesAndValidates(t *testing.T) {
	c := NewChecker(time.Hour, time.Hour)
	c.Register(Check{Name: "dep", Fn: func(context.Context) error { return errors.New("old") }})
	c.Register(Check{Name: "dep", Fn: func(context.Context) error { return nil }})
	if r := c.Results(context.Background()); len(r) != 1 || r[0].Status != StatusUp {
		t.Errorf("results = %+v", r)
	}
	defer func() {
		if recover() == nil {
			t.Error("Register without Fn must panic")
		}
	}()
	c.Register(Check{Name: "bad"})
}

func TestConcurrentProbesShareOneRun(t *testing.T) {
	c := NewChecker(time.Hour, time.Hour)
	var calls atomic.Int32
	release := make(chan struct{})
	c.Register(Check{Name: "dep", Fn: func(context.Context) error {
		calls.Add(1)
		<-release
		return nil
	}})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Results(context.Background())
		}()
	}
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("check ran %d times for 8 concurrent probes, want 1", n)
	}
}

func TestWaitingProbeGivesUpWithItsContext(t *testing.T) {
	c := NewChecker(time.Hour, time.Hour)
	release := make(chan struct{})
	started := make(chan struct{})
	c.Register(Check{Name: "dep", Fn: func(context.Context) error {
		close(started)
		<-release
		return nil
	}})
	done := make(chan struct{})
	go func() {
		c.Results(context.Background())
		close(done)
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := c.Results(ctx); r[0].Status != StatusUnknown {
		t.Errorf("a probe whose context ends while waiting gets the cached state, got %+v", r)
	}
	close(release)
	<-done
}
