package httpclient

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// trackingBody records how much was read and whether it was closed.
type trackingBody struct {
	r      io.Reader
	read   int
	closed bool
}

func (b *trackingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	return n, err
}

func (b *trackingBody) Close() error {
	b.closed = true
	return nil
}

func TestReadLimited(t *testing.T) {
	const limit = 16
	tests := []struct {
		name    string
		size    int
		tooBig  bool
		wantLen int
	}{
		{name: "empty", size: 0, wantLen: 0},
		{name: "below the limit", size: limit - 1, wantLen: limit - 1},
		{name: "exactly the limit", size: limit, wantLen: limit},
		{name: "one byte over", size: limit + 1, tooBig: true},
		{name: "far over", size: 10 * limit, tooBig: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := ReadLimited(bytes.NewReader(make([]byte, tt.size)), limit)
			var tooLarge *ResponseTooLargeError
			if tt.tooBig {
				if !errors.As(err, &tooLarge) {
					t.Fatalf("err = %v, want *ResponseTooLargeError", err)
				}
				if data != nil {
					t.Fatalf("got %d bytes with the error: truncated data must not be returned", len(data))
				}
				if tooLarge.Limit != limit || tooLarge.ContentLength != -1 {
					t.Fatalf("error = %+v", tooLarge)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if len(data) != tt.wantLen {
				t.Fatalf("len = %d, want %d", len(data), tt.wantLen)
			}
		})
	}
}

func TestReadLimitedReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := ReadLimited(io.MultiReader(strings.NewReader("ab"), errReader{boom}), 10)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want wrapping %v", err, boom)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestReadBodyRejectsContentLengthBeforeReading(t *testing.T) {
	body := &trackingBody{r: strings.NewReader(strings.Repeat("x", 100))}
	resp := &http.Response{ContentLength: 100, Body: body}
	_, err := readBody(resp, 99)
	var tooLarge *ResponseTooLargeError
	if !errors.As(err, &tooLarge) || tooLarge.ContentLength != 100 || tooLarge.Limit != 99 {
		t.Fatalf("err = %v, want *ResponseTooLargeError{Limit: 99, ContentLength: 100}", err)
	}
	if body.read != 0 {
		t.Fatalf("read %d bytes of an oversized body, want 0", body.read)
	}
	if !body.closed {
		t.Fatal("body not closed")
	}
	if !strings.Contains(err.Error(), "Content-Length 100") {
		t.Fatalf("message %q does not name the declared length", err)
	}
}

func TestReadBodyAlwaysCloses(t *testing.T) {
	for _, size := range []int{0, 8, 9} {
		body := &trackingBody{r: bytes.NewReader(make([]byte, size))}
		// ContentLength -1: the size is only known by reading.
		data, err := readBody(&http.Response{ContentLength: -1, Body: body}, 8)
		if !body.closed {
			t.Fatalf("size %d: body not closed", size)
		}
		if size <= 8 && (err != nil || len(data) != size) {
			t.Fatalf("size %d: data %d bytes, err %v", size, len(data), err)
		}
		if size > 8 && err == nil {
			t.Fatalf("size %d: no error over the limit", size)
		}
	}
}

func TestReadBodyDeclaredLength(t *testing.T) {
	body := &trackingBody{r: strings.NewReader("12345678")}
	data, err := readBody(&http.Response{ContentLength: 8, Body: body}, 8)
	if err != nil || string(data) != "12345678" || !body.closed {
		t.Fatalf("data %q, err %v, closed %v", data, err, body.closed)
	}
	// A body shorter than its Content-Length is an error, not a short read.
	short := &trackingBody{r: strings.NewReader("123")}
	if _, err := readBody(&http.Response{ContentLength: 8, Body: short}, 8); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want io.ErrUnexpectedEOF", err)
	}
	if !short.closed {
		t.Fatal("body not closed")
	}
}

func TestReadBodyCloseError(t *testing.T) {
	boom := errors.New("close failed")
	resp := &http.Response{ContentLength: -1, Body: closeErrBody{Reader: strings.NewReader("ok"), err: boom}}
	if _, err := readBody(resp, 8); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the close error", err)
	}
}

type closeErrBody struct {
	io.Reader
	err error
}

func (b closeErrBody) Close() error { return b.err }

func TestResponseTooLargeErrorMessage(t *testing.T) {
	msg := (&ResponseTooLargeError{Limit: 5, ContentLength: -1}).Error()
	if !strings.Contains(msg, "limit of 5 bytes") {
		t.Fatalf("message %q", msg)
	}
}
