package worker

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeClock is a settable clock for the readiness check.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }
func (c *fakeClock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newRegistry(t *testing.T, clock func() time.Time) (*Registry, *prometheus.Registry, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	r, err := NewRegistry(slog.New(slog.NewJSONHandler(logs, nil)), reg, clock)
	if err != nil {
		t.Fatal(err)
	}
	return r, reg, logs
}

// shutdown stops r in cleanup so that no test leaks a worker goroutine.
func shutdown(t *testing.T, r *Registry) {
	t.Helper()
	t.Cleanup(func() {
		if err := r.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func stats(t *testing.T, r *Registry, name string) Stats {
	t.Helper()
	s, ok := r.Stats(name)
	if !ok {
		t.Fatalf("no worker %q", name)
	}
	return s
}

func noop(context.Context) error { return nil }

func TestRegisterValidates(t *testing.T) {
	r, _, _ := newRegistry(t, time.Now)
	tests := []struct {
		name string
		w    Worker
		want string
	}{
		{"no name", Worker{Interval: time.Second, Run: noop}, "needs a name"},
		{"zero interval", Worker{Name: "a", Run: noop}, "interval must be positive"},
		{"negative timeout", Worker{Name: "a", Interval: time.Second, Timeout: -1, Run: noop}, "timeout"},
		{"nil run", Worker{Name: "a", Interval: time.Second}, "Run is nil"},
	}
	for _, tt := range tests {
		if err := r.Register(tt.w); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if err := r.Register(Worker{Name: "a", Interval: time.Hour, Run: noop}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(Worker{Name: "a", Interval: time.Hour, Run: noop}); err == nil {
		t.Error("duplicate name accepted")
	}
	r.Start(t.Context())
	shutdown(t, r)
	if err := r.Register(Worker{Name: "b", Interval: time.Hour, Run: noop}); err == nil {
		t.Error("Register after Start accepted")
	}
	if _, ok := r.Stats("missing"); ok {
		t.Error("Stats of an unknown worker")
	}
}

func TestNewRegistryRejectsDuplicateMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewRegistry(slog.New(slog.DiscardHandler), reg, time.Now); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRegistry(slog.New(slog.DiscardHandler), reg, time.Now); err == nil {
		t.Fatal("second registration succeeded")
	}
	if _, err := NewRegistry(slog.New(slog.DiscardHandler), nil, time.Now); err != nil {
		t.Fatal(err)
	}
}

func TestRunsPeriodicallyAndShutsDown(t *testing.T) {
	r, _, _ := newRegistry(t, time.Now)
	var runs atomic.Int64
	hadDeadline := make(chan bool, 1)
	err := r.Register(Worker{Name: "tick", Interval: time.Millisecond, Run: func(ctx context.Context) error {
		if runs.Add(1) == 1 {
			_, ok := ctx.Deadline()
			hadDeadline <- ok
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.Start(t.Context())
	r.Start(t.Context()) // a second Start is a no-op
	eventually(t, "three runs", func() bool { return stats(t, r, "tick").Succeeded >= 3 })
	if err := r.Shutdown(t.Context()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if !<-hadDeadline {
		t.Error("a run had no deadline: Timeout defaults to Interval")
	}
	s := stats(t, r, "tick")
	if s.Total != s.Succeeded || s.Failed != 0 || s.LastRun.IsZero() {
		t.Fatalf("stats %+v", s)
	}
	after := runs.Load()
	if err := r.Shutdown(t.Context()); err != nil { // idempotent
		t.Fatal(err)
	}
	if runs.Load() != after {
		t.Fatal("a worker ran after Shutdown returned")
	}
}

func TestShutdownBeforeStart(t *testing.T) {
	r, _, _ := newRegistry(t, time.Now)
	if err := r.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestStopsOnContextCancel(t *testing.T) {
	r, _, _ := newRegistry(t, time.Now)
	if err := r.Register(Worker{Name: "w", Interval: time.Hour, Run: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	r.Start(ctx)
	cancel()
	eventually(t, "workers stopped", func() bool {
		err := r.Healthy(t.Context())
		return err != nil && strings.Contains(err.Error(), "stopped")
	})
	if s := stats(t, r, "w"); s.Total != 0 {
		t.Fatalf("a run interrupted by cancellation was recorded: %+v", s)
	}
	if err := r.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestShutdownTimesOut(t *testing.T) {
	r, _, _ := newRegistry(t, time.Now)
	release := make(chan struct{})
	started := make(chan struct{})
	if err := r.Register(Worker{Name: "stubborn", Interval: time.Hour, Run: func(context.Context) error {
		close(started)
		<-release // ignores its context
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	r.Start(t.Context())
	<-started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := r.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown = %v, want the context's error", err)
	}
	close(release)
	if err := r.Shutdown(t.Context()); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
}

func TestPanicIsRecoveredCountedAndLogged(t *testing.T) {
	r, reg, logs := newRegistry(t, time.Now)
	var runs atomic.Int64
	if err := r.Register(Worker{Name: "boom", Interval: time.Millisecond, Run: func(context.Context) error {
		if runs.Add(1) == 1 {
			panic("kaboom")
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	r.Start(t.Context())
	eventually(t, "a run after the panic", func() bool { return stats(t, r, "boom").Succeeded >= 1 })
	if err := r.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	s := stats(t, r, "boom")
	if s.Panics != 1 || s.Failed != 1 || s.Total != s.Succeeded+1 {
		t.Fatalf("stats %+v", s)
	}
	out := logs.String()
	if !strings.Contains(out, "worker run panicked") || !strings.Contains(out, "kaboom") ||
		!strings.Contains(out, "worker_test.go") {
		t.Fatalf("panic not logged with value and stack: %s", out)
	}
	if v := gauge(t, reg, "worker_panics_total", "boom", ""); v != 1 {
		t.Fatalf("worker_panics_total = %v", v)
	}
}

func TestFailureIsCountedAndLogged(t *testing.T) {
	r, reg, logs := newRegistry(t, time.Now)
	if err := r.Register(Worker{Name: "bad", Interval: time.Millisecond, Run: func(context.Context) error {
		return errors.New("upstream down")
	}}); err != nil {
		t.Fatal(err)
	}
	r.Start(t.Context())
	eventually(t, "two failures", func() bool { return stats(t, r, "bad").Failed >= 2 })
	if err := r.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	s := stats(t, r, "bad")
	if s.Succeeded != 0 || s.Panics != 0 {
		t.Fatalf("stats %+v", s)
	}
	if !strings.Contains(logs.String(), "upstream down") {
		t.Fatal("failure not logged")
	}
	if v := gauge(t, reg, "worker_runs_total", "bad", "failure"); v != float64(s.Failed) {
		t.Fatalf("worker_runs_total{failure} = %v, want %d", v, s.Failed)
	}
	if v := gauge(t, reg, "worker_runs_total", "bad", "success"); v != 0 {
		t.Fatalf("worker_runs_total{success} = %v", v)
	}
	if v := gauge(t, reg, "worker_last_run_timestamp_seconds", "bad", ""); v != float64(s.LastRun.UnixNano())/1e9 {
		t.Fatalf("last run = %v, want %v", v, s.LastRun)
	}
}

func TestMetricsBeforeFirstRun(t *testing.T) {
	r, reg, _ := newRegistry(t, time.Now)
	if err := r.Register(Worker{Name: "idle", Interval: time.Hour, Run: noop}); err != nil {
		t.Fatal(err)
	}
	if v := gauge(t, reg, "worker_last_run_timestamp_seconds", "idle", ""); v != 0 {
		t.Fatalf("last run before any run = %v, want 0", v)
	}
}

// gauge reads one worker sample from reg; result "" matches any.
func gauge(t *testing.T, reg *prometheus.Registry, name, worker, result string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			if labels["worker"] != worker || (result != "" && labels["result"] != result) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no sample %s{worker=%q,result=%q}", name, worker, result)
	return 0
}

func TestHealthyReportsStaleWorkers(t *testing.T) {
	clock := newFakeClock()
	r, _, _ := newRegistry(t, clock.Now)
	if err := r.Healthy(t.Context()); err == nil || !strings.Contains(err.Error(), "not started") {
		t.Fatalf("before Start: %v", err)
	}
	release := make(chan struct{})
	if err := r.Register(Worker{Name: "fast", Interval: time.Minute, Run: noop}); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(Worker{Name: "stuck", Interval: time.Minute, Run: func(ctx context.Context) error {
		select { // the first run never finishes until released
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	r.Start(t.Context())
	shutdown(t, r)
	defer close(release)
	eventually(t, "the first run of fast", func() bool { return stats(t, r, "fast").Total == 1 })

	if err := r.Healthy(t.Context()); err != nil {
		t.Fatalf("fresh registry unhealthy: %v", err)
	}
	clock.Set(start.Add(2 * time.Minute))
	if err := r.Healthy(t.Context()); err != nil {
		t.Fatalf("at exactly 2x the interval: %v", err)
	}
	clock.Advance(time.Second)
	err := r.Healthy(t.Context())
	if err == nil {
		t.Fatal("healthy although no worker ran for more than 2x its interval")
	}
	for _, name := range []string{`"fast"`, `"stuck"`} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name worker %s", err, name)
		}
	}
}
