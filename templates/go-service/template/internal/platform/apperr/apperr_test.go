package apperr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestStatus(t *testing.T) {
	tests := []struct {
		err    error
		code   int
		reason string
	}{
		{fmt.Errorf("parsing: %w", ErrBadRequest), http.StatusBadRequest, "BAD_REQUEST"},
		{ErrUnauthorized, http.StatusUnauthorized, "UNAUTHORIZED"},
		{ErrForbidden, http.StatusForbidden, "FORBIDDEN"},
		{ErrNotFound, http.StatusNotFound, "NOT_FOUND"},
		{ErrMethodNotAllowed, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED"},
		{ErrRequestTooLarge, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE"},
		{&http.MaxBytesError{Limit: 1}, http.StatusRequestEntityTooLarge, "REQUEST_TOO_LARGE"},
		{ErrRateLimited, http.StatusTooManyRequests, "RATE_LIMITED"},
		{ErrServiceDegraded, http.StatusServiceUnavailable, "SERVICE_DEGRADED"},
		{ErrUnavailable, http.StatusServiceUnavailable, "UNAVAILABLE"},
		{ErrInternal, http.StatusInternalServerError, "INTERNAL"},
		{errors.New("unknown"), http.StatusInternalServerError, "INTERNAL"},
	}
	for _, tt := range tests {
		code, reason := Status(tt.err)
		if code != tt.code || reason != tt.reason {
			t.Errorf("Status(%v) = %d %s, want %d %s", tt.err, code, reason, tt.code, tt.reason)
		}
	}
}

func TestWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	Write(rec, fmt.Errorf("db password=hunter2: %w", ErrUnavailable), "")
	var env Envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 503 || env != (Envelope{Code: 503, Reason: "UNAVAILABLE", Message: "Service Unavailable"}) {
		t.Errorf("%d %+v", rec.Code, env)
	}
	if rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q", rec.Header().Get("Content-Type"))
	}
}
