package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, k *rsa.PublicKey) map[string]any {
	return map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(kid string, k *ecdsa.PublicKey) map[string]any {
	raw, err := k.Bytes()
	if err != nil {
		panic(err)
	}
	return map[string]any{"kty": "EC", "kid": kid, "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:])}
}

func edJWK(kid string, k ed25519.PublicKey) map[string]any {
	return map[string]any{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64(k)}
}

// jwksServer serves whatever key list it currently holds, counting fetches.
type jwksServer struct {
	srv     *httptest.Server
	mu      sync.Mutex
	keys    []map[string]any
	fail    atomic.Bool
	fetches atomic.Int64
}

func newJWKSServer(t *testing.T, keys ...map[string]any) *jwksServer {
	t.Helper()
	js := &jwksServer{keys: keys}
	js.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		js.fetches.Add(1)
		if js.fail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		js.mu.Lock()
		defer js.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": js.keys})
	}))
	t.Cleanup(js.srv.Close)
	return js
}

func (js *jwksServer) set(keys ...map[string]any) {
	js.mu.Lock()
	defer js.mu.Unlock()
	js.keys = keys
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestJWKSRotationMidTest(t *testing.T) {
	rk1, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rk2, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	js := newJWKSServer(t, rsaJWK("r1", &rk1.PublicKey), ecJWK("e1", &ek.PublicKey), edJWK("d1", edPub))
	reg := prometheus.NewRegistry()
	clock := &fakeClock{now: testNow}
	jwks, err := NewJWKS(JWKSOptions{
		URL: js.srv.URL, Refresh: time.Minute, Algorithms: []string{"RS256", "ES256", "EdDSA"},
		Registerer: reg, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	check := jwks.HealthCheck()
	if check.Name != "jwks" || check.Fn(t.Context()) == nil {
		t.Fatal("the jwks check must be down before a first fetch")
	}
	v, err := NewVerifier(Options{
		JWKSURL: js.srv.URL, JWKS: jwks, Algorithms: []string{"RS256", "ES256", "EdDSA"},
		Now: func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := jwks.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := check.Fn(ctx); err != nil {
		t.Fatalf("jwks check after a fetch: %v", err)
	}
	for name, tok := range map[string]string{
		"RS256": signKID(t, jwt.SigningMethodRS256, "r1", rk1, validClaims(), nil),
		"ES256": signKID(t, jwt.SigningMethodES256, "e1", ek, validClaims(), nil),
		"EdDSA": signKID(t, jwt.SigningMethodEdDSA, "d1", edKey, validClaims(), nil),
	} {
		if _, err := v.VerifyContext(ctx, tok); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}

	// The IdP rotates: r2 is added, r1 stays for a while. A token with the
	// new kid triggers one refresh and passes; the old kid still passes.
	js.set(rsaJWK("r1", &rk1.PublicKey), rsaJWK("r2", &rk2.PublicKey))
	before := js.fetches.Load()
	tok2 := signKID(t, jwt.SigningMethodRS256, "r2", rk2, validClaims(), nil)
	if _, err := v.VerifyContext(ctx, tok2); err != nil {
		t.Fatalf("new kid after rotation: %v", err)
	}
	if _, err := v.VerifyContext(ctx, signKID(t, jwt.SigningMethodRS256, "r1", rk1, validClaims(), nil)); err != nil {
		t.Fatalf("old kid during rotation: %v", err)
	}
	if got := js.fetches.Load() - before; got != 1 {
		t.Fatalf("fetches for the new kid = %d, want 1", got)
	}

	// Unknown kids within 30s of that refresh trigger no further fetch.
	before = js.fetches.Load()
	for range 5 {
		_, err := v.VerifyContext(ctx, signKID(t, jwt.SigningMethodRS256, "nope", rk2, validClaims(), nil))
		if ReasonOf(err) != ReasonUnknownKey {
			t.Fatalf("unknown kid: err = %v", err)
		}
	}
	if got := js.fetches.Load() - before; got != 0 {
		t.Fatalf("fetches for 5 unknown-kid tokens = %d, want 0 (rate limited)", got)
	}
	clock.Add(31 * time.Second)
	_, _ = v.VerifyContext(ctx, signKID(t, jwt.SigningMethodRS256, "nope", rk2, validClaims(), nil))
	if got := js.fetches.Load() - before; got != 1 {
		t.Fatalf("fetches after 31s = %d, want 1", got)
	}

	// A failed refresh keeps the last good set, and is counted.
	js.fail.Store(true)
	if err := jwks.Refresh(ctx); err == nil {
		t.Fatal("refresh against a failing server succeeded")
	}
	if _, err := v.VerifyContext(ctx, tok2); err != nil {
		t.Fatalf("last good set lost after a failed refresh: %v", err)
	}
	if err := check.Fn(ctx); err != nil {
		t.Fatalf("jwks check after a later failure: %v", err)
	}
	// r1 is retired: once the set no longer has it, its tokens fail.
	js.fail.Store(false)
	js.set(rsaJWK("r2", &rk2.PublicKey))
	if err := jwks.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(signKID(t, jwt.SigningMethodRS256, "r1", rk1, validClaims(), nil)); ReasonOf(err) != ReasonUnknownKey {
		t.Fatalf("retired kid: err = %v", err)
	}
	expected := `
# HELP auth_jwks_refresh_total JWKS fetches by result: success, failure (the last good key set stays in use).
# TYPE auth_jwks_refresh_total counter
auth_jwks_refresh_total{result="failure"} 1
auth_jwks_refresh_total{result="success"} 4
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(expected), "auth_jwks_refresh_total"); err != nil {
		t.Fatal(err)
	}
}

func TestJWKSBounds(t *testing.T) {
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"keys":[` + strings.Repeat(" ", int(JWKSMaxBytes)) + `]}`))
	}))
	t.Cleanup(big.Close)
	jwks, err := NewJWKS(JWKSOptions{URL: big.URL, Refresh: time.Minute, Algorithms: []string{"RS256"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := jwks.Refresh(t.Context()); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want the 1 MiB limit", err)
	}
	// Weak, unpinned and encryption keys are skipped; none left is an error.
	weak, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // checks that weak keys are skipped
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	enc := edJWK("x", edPub)
	enc["use"] = "enc"
	body, _ := json.Marshal(map[string]any{"keys": []any{rsaJWK("w", &weak.PublicKey), edJWK("d", edPub), enc}})
	if _, err := parseJWKS(body, []string{"RS256"}); err == nil {
		t.Fatal("a JWKS without a usable key was accepted")
	}
	if _, err := NewJWKS(JWKSOptions{URL: "", Refresh: time.Minute}); err == nil {
		t.Fatal("empty URL accepted")
	}
	// Run stops with its context.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { jwks.Run(ctx); close(done) }()
	cancel()
	<-done
}
