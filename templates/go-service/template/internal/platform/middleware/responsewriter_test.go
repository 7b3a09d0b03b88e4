package middleware

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestResponseWriterRecords(t *testing.T) {
	rec := httptest.NewRecorder()
	w := Wrap(rec)
	if Wrap(w) != w {
		t.Error("Wrap must reuse an existing *ResponseWriter")
	}
	if w.Status() != http.StatusOK || w.HeaderWritten() {
		t.Error("nothing written yet: status 200, header not written")
	}
	w.WriteHeader(http.StatusCreated)
	w.WriteHeader(http.StatusInternalServerError) // ignored: already sent
	if _, err := w.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if w.Status() != http.StatusCreated || w.BytesWritten() != 3 || rec.Code != http.StatusCreated {
		t.Errorf("status=%d bytes=%d rec=%d", w.Status(), w.BytesWritten(), rec.Code)
	}
	if w.Unwrap() != rec {
		t.Error("Unwrap must return the underlying writer")
	}
}

func TestImplicitOK(t *testing.T) {
	w := Wrap(httptest.NewRecorder())
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if !w.HeaderWritten() || w.Status() != http.StatusOK {
		t.Errorf("Write without WriteHeader: status %d", w.Status())
	}
}

func TestChainOrder(t *testing.T) {
	var order []string
	mw := func(name string) Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { order = append(order, "h") }),
		mw("a"), mw("b"))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if got := len(order); got != 3 || order[0] != "a" || order[1] != "b" || order[2] != "h" {
		t.Errorf("order = %v", order)
	}
}

// headerLog records the status codes written to it.
type headerLog struct {
	http.ResponseWriter
	codes []int
}

func (h *headerLog) WriteHeader(code int) { h.codes = append(h.codes, code) }

func TestInformationalPassesThrough(t *testing.T) {
	log := &headerLog{ResponseWriter: httptest.NewRecorder()}
	w := Wrap(log)
	w.WriteHeader(http.StatusEarlyHints)
	if w.HeaderWritten() {
		t.Error("1xx must not count as the response status")
	}
	w.WriteHeader(http.StatusOK)
	if len(log.codes) != 2 || log.codes[0] != http.StatusEarlyHints || log.codes[1] != http.StatusOK {
		t.Errorf("codes = %v", log.codes)
	}
}
