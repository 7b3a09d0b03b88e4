package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testKeys are real key pairs generated for the test run.
type testKeys struct {
	rsa     *rsa.PrivateKey
	ec      *ecdsa.PrivateKey
	ed      ed25519.PrivateKey
	hsOld   string
	hsNew   string
	rsaPEM  []byte
	ecPEM   []byte
	edPEM   []byte
	weakRSA []byte
	p384    []byte
}

func pemOf(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func genKeys(t testing.TB) testKeys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	weak, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // the test checks that 1024-bit keys are refused
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{
		rsa: rk, ec: ek, ed: edk,
		hsOld: strings.Repeat("o", 32), hsNew: strings.Repeat("n", 40),
		rsaPEM: pemOf(t, &rk.PublicKey), ecPEM: pemOf(t, &ek.PublicKey), edPEM: pemOf(t, edk.Public()),
		weakRSA: pemOf(t, &weak.PublicKey), p384: pemOf(t, &p384.PublicKey),
	}
}

func keySetVerifier(t testing.TB, k testKeys) *Verifier {
	t.Helper()
	dir := t.TempDir()
	rsaFile := filepath.Join(dir, "idp-1.pem")
	if err := os.WriteFile(rsaFile, k.rsaPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(Options{
		Algorithms: []string{"RS256", "ES256", "EdDSA", "HS256"},
		Keys: []KeyOptions{
			{KID: "2026-10", Algorithm: "HS256", Secret: k.hsOld},
			{KID: "2026-11", Algorithm: "HS256", Secret: k.hsNew},
			{KID: "idp-1", Algorithm: "RS256", PublicKeyFile: rsaFile},
			{KID: "ec-1", Algorithm: "ES256", PublicKeyPEM: k.ecPEM},
			{KID: "ed-1", Algorithm: "EdDSA", PublicKeyPEM: k.edPEM},
		},
		Leeway: 30 * time.Second,
		Now:    func() time.Time { return testNow },
	})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

func signKID(t testing.TB, m jwt.SigningMethod, kid string, signKey any, claims jwt.MapClaims, extra map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	for k, v := range extra {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(signKey)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func TestKeySetSelectsKeyByKID(t *testing.T) {
	k := genKeys(t)
	v := keySetVerifier(t, k)
	ok := []struct {
		name string
		tok  string
	}{
		{"HS256 old key (rotation)", signKID(t, jwt.SigningMethodHS256, "2026-10", []byte(k.hsOld), validClaims(), nil)},
		{"HS256 new key (rotation)", signKID(t, jwt.SigningMethodHS256, "2026-11", []byte(k.hsNew), validClaims(), nil)},
		{"RS256", signKID(t, jwt.SigningMethodRS256, "idp-1", k.rsa, validClaims(), nil)},
		{"ES256", signKID(t, jwt.SigningMethodES256, "ec-1", k.ec, validClaims(), nil)},
		{"EdDSA", signKID(t, jwt.SigningMethodEdDSA, "ed-1", k.ed, validClaims(), nil)},
		{"typ at+jwt", signKID(t, jwt.SigningMethodRS256, "idp-1", k.rsa, validClaims(), map[string]any{"typ": "at+jwt"})},
	}
	for _, tc := range ok {
		if c, err := v.Verify(tc.tok); err != nil || c.UserID != "u-1" {
			t.Errorf("%s: claims %+v, err %v", tc.name, c, err)
		}
	}
	bad := []struct {
		name string
		tok  string
		want Reason
	}{
		{"unknown kid", signKID(t, jwt.SigningMethodHS256, "2025-01", []byte(k.hsOld), validClaims(), nil), ReasonUnknownKey},
		{"no kid with a key set", signKID(t, jwt.SigningMethodHS256, "", []byte(k.hsOld), validClaims(), nil), ReasonUnknownKey},
		{"old secret under the new kid", signKID(t, jwt.SigningMethodHS256, "2026-11", []byte(k.hsOld), validClaims(), nil), ReasonBadSignature},
		// RS/HS confusion: an HS256 token "signed" with the RSA public key.
		{"HS256 token for an RSA kid", signKID(t, jwt.SigningMethodHS256, "idp-1", k.rsaPEM, validClaims(), nil), ReasonBadAlgorithm},
		{"RS256 token for an HS kid", signKID(t, jwt.SigningMethodRS256, "2026-11", k.rsa, validClaims(), nil), ReasonBadAlgorithm},
		{"ES256 token for the Ed25519 kid", signKID(t, jwt.SigningMethodES256, "ed-1", k.ec, validClaims(), nil), ReasonBadAlgorithm},
		{"RS256 signed by another key", signKID(t, jwt.SigningMethodES256, "ec-1", mustEC(t), validClaims(), nil), ReasonBadSignature},
		{"crit header", signKID(t, jwt.SigningMethodRS256, "idp-1", k.rsa, validClaims(), map[string]any{"crit": []string{"exp"}}), ReasonMalformed},
		{"typ JWE", signKID(t, jwt.SigningMethodRS256, "idp-1", k.rsa, validClaims(), map[string]any{"typ": "JOSE+JSON"}), ReasonMalformed},
		{"typ not a string", signKID(t, jwt.SigningMethodRS256, "idp-1", k.rsa, validClaims(), map[string]any{"typ": 1}), ReasonMalformed},
		{"kid not a string", signKID(t, jwt.SigningMethodRS256, "", k.rsa, validClaims(), map[string]any{"kid": 7}), ReasonMalformed},
		{"alg not pinned", signKID(t, jwt.SigningMethodRS384, "idp-1", k.rsa, validClaims(), nil), ReasonBadAlgorithm},
		{"expired RS256", signKID(t, jwt.SigningMethodRS256, "idp-1", k.rsa, with("exp", testNow.Add(-time.Hour).Unix()), nil), ReasonExpired},
	}
	for _, tc := range bad {
		_, err := v.Verify(tc.tok)
		if got := ReasonOf(err); err == nil || got != tc.want {
			t.Errorf("%s: reason %q (err %v), want %q", tc.name, got, err, tc.want)
		}
	}
}

func mustEC(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The legacy jwt_secret keeps working: tokens with and without kid.
func TestLegacySecretStillVerifies(t *testing.T) {
	v := newTestVerifier(t, nil)
	for _, kid := range []string{"", "anything"} {
		tok := signKID(t, jwt.SigningMethodHS256, kid, []byte(testSecret), validClaims(), nil)
		if _, err := v.Verify(tok); err != nil {
			t.Errorf("kid %q: %v", kid, err)
		}
	}
}

func TestKeySetConfigErrors(t *testing.T) {
	k := genKeys(t)
	all := []string{"RS256", "ES256", "EdDSA", "HS256"}
	cases := []struct {
		name string
		cfg  Options
		want string
	}{
		{"jwt_secret and keys", Options{Secret: testSecret, Algorithms: all, Keys: []KeyOptions{{KID: "a", Algorithm: "HS256", Secret: k.hsNew}}},
			"middleware.auth.jwt_secret and middleware.auth.keys"},
		{"short HS key", Options{Algorithms: all, Keys: []KeyOptions{{KID: "a", Algorithm: "HS256", Secret: "short"}}},
			"middleware.auth.keys[0].secret: is 5 bytes"},
		{"no kid", Options{Algorithms: all, Keys: []KeyOptions{{Algorithm: "HS256", Secret: k.hsNew}}}, "middleware.auth.keys[0].kid"},
		{"duplicate kid", Options{Algorithms: all, Keys: []KeyOptions{{KID: "a", Algorithm: "HS256", Secret: k.hsNew}, {KID: "a", Algorithm: "HS256", Secret: k.hsOld}}},
			"middleware.auth.keys[1].kid"},
		{"RSA 1024", Options{Algorithms: all, Keys: []KeyOptions{{KID: "a", Algorithm: "RS256", PublicKeyPEM: k.weakRSA}}}, "1024 bits"},
		{"EC P-384", Options{Algorithms: all, Keys: []KeyOptions{{KID: "a", Algorithm: "ES256", PublicKeyPEM: k.p384}}}, "must be P-256"},
		{"RSA key declared ES256", Options{Algorithms: all, Keys: []KeyOptions{{KID: "a", Algorithm: "ES256", PublicKeyPEM: k.rsaPEM}}}, "an RSA key cannot verify ES256"},
		{"algorithm not pinned", Options{Algorithms: []string{"HS256"}, Keys: []KeyOptions{{KID: "a", Algorithm: "EdDSA", PublicKeyPEM: k.edPEM}}},
			"middleware.auth.keys[0].algorithm: EdDSA is not in middleware.auth.algorithms"},
		{"missing file", Options{Algorithms: all, Keys: []KeyOptions{{KID: "a", Algorithm: "RS256", PublicKeyFile: "/nonexistent.pem"}}}, "middleware.auth.keys[0].public_key_file"},
		{"private key", Options{Algorithms: all, Keys: []KeyOptions{{KID: "a", Algorithm: "RS256",
			PublicKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}})}}}, "not a public key"},
		{"HS key with public key", Options{Algorithms: all, Keys: []KeyOptions{{KID: "a", Algorithm: "HS256", Secret: k.hsNew, PublicKeyPEM: k.rsaPEM}}},
			"middleware.auth.keys[0].public_key_file"},
		{"nothing configured", Options{Algorithms: all}, "middleware.auth.jwt_secret: must be set"},
	}
	for _, tc := range cases {
		_, err := NewVerifier(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

// FuzzKeySelection signs arbitrary headers (kid, typ, crit, alg values) with
// a real key of the set: whatever the header, Verify keeps its invariants,
// and a token is only accepted when its kid names a key of its alg.
func FuzzKeySelection(f *testing.F) {
	for _, h := range []string{
		`{"alg":"HS256","kid":"2026-11"}`,
		`{"alg":"HS256","kid":"2026-10","typ":"JWT"}`,
		`{"alg":"HS256","kid":"idp-1"}`,
		`{"alg":"HS256","kid":""}`,
		`{"alg":"HS256","kid":null}`,
		`{"alg":"HS256","kid":["2026-11"]}`,
		`{"alg":"HS256","kid":"2026-11","crit":[]}`,
		`{"alg":"HS256","kid":"2026-11","typ":"jwt"}`,
		`{"alg":"HS256","kid":"2026-11","typ":"JWS"}`,
		`{"alg":"none","kid":"2026-11"}`,
		`{"alg":"RS256","kid":"2026-11"}`,
		`{"kid":"2026-11"}`,
	} {
		f.Add(h)
	}
	k := genKeys(f)
	v := keySetVerifier(f, k)
	f.Fuzz(func(t *testing.T, header string) {
		// Signed with the 2026-11 secret: only a header that selects that
		// key with alg HS256 may pass.
		tok := rawToken(header, `{"user_id":"u","exp":1767326645}`, []byte(k.hsNew))
		c, err := v.Verify(tok)
		checkResult(t, c, err)
		if err == nil && (!strings.Contains(header, `"2026-11"`) || !strings.Contains(header, "HS256")) {
			t.Fatalf("accepted header %q", header)
		}
	})
}
