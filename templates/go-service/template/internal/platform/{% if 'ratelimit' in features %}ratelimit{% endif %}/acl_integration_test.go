//go:build integration

package ratelimit

import (
	"errors"
	"net"
	"strconv"
	"testing"
	"time"
)

// TestTopologyACLUser runs the limiter as an ACL user (data.redis.username)
// holding only what the README lists: EVALSHA, EVAL, SCRIPT, GET, SET, TIME and
// PING on rl:* keys, with the default user disabled. A wrong password is
// ErrUnavailable, never a decision. Run it with
// `go test -tags integration -run Topology ./internal/platform/ratelimit/`.
func TestTopologyACLUser(t *testing.T) {
	const user, pass = "limiter", "acl-test-password-0123456789"
	p := topoFreePort(t)
	startRedis(t, append(baseArgs(t, p), "--user", "default", "off",
		"--user", user, "on", ">"+pass, "~rl:*", "+evalsha", "+eval", "+script", "+get", "+set", "+time", "+ping")...)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	c := topoClient(t, ClientOptions{Addr: addr, Username: user, Password: pass})
	topoWait(t, "redis as the ACL user", func() bool { return c.Ping(t.Context()).Err() == nil })
	l := NewRedis(c, time.Second)
	lim := Limit{Limit: 2, Window: time.Minute}
	for i, want := range []bool{true, true, false} {
		r, err := l.Allow(t.Context(), "acl:route:10.0.0.1", lim)
		if err != nil || r.Allowed != want {
			t.Fatalf("decision %d as %s: %+v, %v (want allowed=%v)", i, user, r, err, want)
		}
	}
	if err := HealthCheck(c, time.Second).Fn(t.Context()); err != nil {
		t.Fatalf("readiness check as %s: %v", user, err)
	}
	if err := c.Get(t.Context(), "other:key").Err(); err == nil {
		t.Fatal("the ACL user read a key outside rl:*; the test's ACL is not in force")
	}

	wrong := topoClient(t, ClientOptions{Addr: addr, Username: user, Password: "wrong-password-0123456789"})
	if _, err := NewRedis(wrong, time.Second).Allow(t.Context(), "acl:route:10.0.0.2", lim); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("with a wrong password: %v, want ErrUnavailable", err)
	}
	anon := topoClient(t, ClientOptions{Addr: addr})
	if _, err := NewRedis(anon, time.Second).Allow(t.Context(), "acl:route:10.0.0.3", lim); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("without a user (default user off): %v, want ErrUnavailable", err)
	}
}
