package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkVerifyAlgorithms is the verify cost per algorithm through the key
// set (kid selection included), in one run; legacy_hs256 is the jwt_secret
// path, the baseline.
func BenchmarkVerifyAlgorithms(b *testing.B) {
	k := genKeys(b)
	v := keySetVerifier(b, k)
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{"RS256", "ES256", "EdDSA", "HS256"}),
		jwt.WithExpirationRequired(), jwt.WithStrictDecoding()}
	v.parser, v.validator = jwt.NewParser(opts...), jwt.NewValidator(opts...)
	legacy := newTestVerifier(b, func(c *Options) { c.Now = nil })
	claims := jwt.MapClaims{"user_id": "u-1", "role": "admin", "email": "u1@example.com", "exp": time.Now().Add(time.Hour).Unix()}
	run := func(b *testing.B, v *Verifier, tok string) {
		b.ReportAllocs()
		cpu, ok := processCPU()
		for b.Loop() {
			if _, err := v.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
		if end, ok2 := processCPU(); ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-cpu)/float64(b.N), "cpu-ns/op")
		}
	}
	b.Run("legacy_hs256_baseline", func(b *testing.B) {
		run(b, legacy, signKID(b, jwt.SigningMethodHS256, "", []byte(testSecret), claims, nil))
	})
	b.Run("HS256", func(b *testing.B) {
		run(b, v, signKID(b, jwt.SigningMethodHS256, "2026-11", []byte(k.hsNew), claims, nil))
	})
	b.Run("RS256", func(b *testing.B) { run(b, v, signKID(b, jwt.SigningMethodRS256, "idp-1", k.rsa, claims, nil)) })
	b.Run("ES256", func(b *testing.B) { run(b, v, signKID(b, jwt.SigningMethodES256, "ec-1", k.ec, claims, nil)) })
	b.Run("EdDSA", func(b *testing.B) { run(b, v, signKID(b, jwt.SigningMethodEdDSA, "ed-1", k.ed, claims, nil)) })
}
