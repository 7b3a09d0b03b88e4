package middleware

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRecoveryWritesEnvelopeAndLogsOnce(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	h := Recovery(logger)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret-panic-value")
	}))
	req := httptest.NewRequest(http.MethodPost, "/v1/things", nil)
	req.Header.Set("Authorization", "Bearer top-secret-token")
	req.Header.Set("Cookie", "session=cookie-secret")
	req.Header.Set("User-Agent", "tester")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d", rec.Code)
	}
	var env struct {
		Code    int    `json:"code"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	if env.Code != 500 || env.Reason != "INTERNAL" {
		t.Errorf("envelope = %+v", env)
	}
	body := rec.Body.String()
	if strings.Contains(body, "secret-panic-value") || strings.Contains(body, "goroutine") {
		t.Errorf("the body leaks the panic: %s", body)
	}

	out := logs.String()
	if n := strings.Count(out, "\n"); n != 1 {
		t.Errorf("want exactly one log line, got %d: %s", n, out)
	}
	for _, secret := range []string{"top-secret-token", "cookie-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log leaks %q: %s", secret, out)
		}
	}
	for _, want := range []string{"secret-panic-value", "middleware.TestRecoveryWritesEnvelopeAndLogsOnce", "tester"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q: %s", want, out)
		}
	}
}

// A panic after the headers aborts the response (http.ErrAbortHandler), so
// the client never takes a truncated body for a complete one; it is logged
// first, and recorded as 500.
func TestRecoveryAbortsStartedResponse(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	h := Recovery(logger)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("partial"))
		panic("late")
	}))
	rec := httptest.NewRecorder()
	rw := Wrap(rec)
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", p)
		}
		if rec.Body.String() != "partial" || rw.Status() != http.StatusInternalServerError {
			t.Errorf("body %q status %d: no envelope may be appended, the status recorded must be 500", rec.Body, rw.Status())
		}
		if !strings.Contains(logs.String(), `"aborted":true`) {
			t.Errorf("the panic is not logged before the abort: %s", logs.String())
		}
	}()
	h.ServeHTTP(rw, httptest.NewRequest(http.MethodGet, "/", nil))
}

func TestRecoveryRepanicsAbortHandler(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	h := Recovery(logger)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", p)
		}
		if logs.Len() != 0 {
			t.Errorf("ErrAbortHandler must not be logged: %s", logs.String())
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
}

func TestRecoveryPassesThrough(t *testing.T) {
	h := Recovery(slog.New(slog.DiscardHandler))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusNoContent {
		t.Errorf("status = %d", rec.Code)
	}
}
