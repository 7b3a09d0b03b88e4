//go:build integration

package ratelimit

// Integration tests of the Redis topologies against real redis-server
// processes on free loopback ports: a 3-master Cluster, a Sentinel-managed
// master with failover, and TLS. Run them with
// `go test -tags integration -run Topology ./internal/platform/ratelimit/`.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func redisBin(t *testing.T, name string) string {
	t.Helper()
	b, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed: %v", name, err)
	}
	return b
}

func topoFreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	return ln.Addr().(*net.TCPAddr).Port
}

// startRedis runs redis-server with args (a config file first, or flags)
// until the test ends.
func startRedis(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command(redisBin(t, "redis-server"), args...) //nolint:gosec // fixed test arguments
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
}

func baseArgs(t *testing.T, port int) []string {
	return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--loglevel", "warning"}
}

func topoWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func pingable(addr string) bool {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond})
	defer func() { _ = c.Close() }()
	return c.Ping(context.Background()).Err() == nil
}

func topoClient(t *testing.T, o ClientOptions) redis.UniversalClient {
	t.Helper()
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolSize = time.Second, time.Second, time.Second, 4
	c, err := NewUniversalClient(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// decisions runs the same sequence of decisions over many keys.
func decisions(t *testing.T, l *Redis, prefix string) []string {
	t.Helper()
	lim := Limit{Limit: 3, Window: time.Minute}
	var out []string
	for k := range 30 {
		key := fmt.Sprintf("%s:route:10.0.0.%d", prefix, k)
		for range 5 {
			r, err := l.Allow(t.Context(), key, lim)
			if err != nil {
				t.Fatalf("Allow(%s): %v", key, err)
			}
			out = append(out, fmt.Sprintf("%v/%d", r.Allowed, r.Remaining))
		}
	}
	return out
}

func TestTopologyClusterSameDecisionsAsSingleNode(t *testing.T) {
	cli := redisBin(t, "redis-cli")
	var addrs []string
	for range 3 {
		p := topoFreePort(t)
		args := append(baseArgs(t, p), "--cluster-enabled", "yes", "--cluster-config-file", fmt.Sprintf("nodes-%d.conf", p))
		startRedis(t, args...)
		addrs = append(addrs, net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	}
	for _, a := range addrs {
		topoWait(t, a, func() bool { return pingable(a) })
	}
	create := append([]string{"--cluster", "create"}, addrs...)
	create = append(create, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, create...).CombinedOutput(); err != nil { //nolint:gosec // fixed test arguments
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, a := range addrs {
		topoWait(t, "cluster_state:ok on "+a, func() bool {
			c := redis.NewClient(&redis.Options{Addr: a})
			defer func() { _ = c.Close() }()
			info, err := c.ClusterInfo(t.Context()).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok")
		})
	}
	single := topoFreePort(t)
	startRedis(t, baseArgs(t, single)...)
	singleAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(single))
	topoWait(t, "single node", func() bool { return pingable(singleAddr) })

	cluster := topoClient(t, ClientOptions{Mode: ModeCluster, Addrs: addrs})
	if _, ok := cluster.(*redis.ClusterClient); !ok {
		t.Fatalf("cluster mode built a %T", cluster)
	}
	node := topoClient(t, ClientOptions{Mode: ModeStandalone, Addr: singleAddr})
	got := decisions(t, NewRedis(cluster, time.Second), "c")
	want := decisions(t, NewRedis(node, time.Second), "c")
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("cluster decisions differ from a single node:\n%v\n%v", got, want)
	}
	// The keys really are spread over the masters.
	used := 0
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		n, err := c.DBSize(t.Context()).Result()
		_ = c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			used++
		}
	}
	if used < 2 {
		t.Fatalf("keys landed on %d masters, want them spread over at least 2", used)
	}
	if s := cluster.PoolStats(); s.TotalConns == 0 {
		t.Fatalf("pool stats of the cluster client: %+v", s)
	}
}

func TestTopologySentinelFailover(t *testing.T) {
	master, replica := topoFreePort(t), topoFreePort(t)
	startRedis(t, baseArgs(t, master)...)
	startRedis(t, append(baseArgs(t, replica), "--replicaof", "127.0.0.1", strconv.Itoa(master))...)
	masterAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(master))
	replicaAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(replica))
	topoWait(t, "replica in sync", func() bool {
		c := redis.NewClient(&redis.Options{Addr: replicaAddr})
		defer func() { _ = c.Close() }()
		info, err := c.Info(t.Context(), "replication").Result()
		return err == nil && strings.Contains(info, "master_link_status:up")
	})
	var sentinels []string
	for range 2 { // a Sentinel pair, quorum 1
		p := topoFreePort(t)
		dir := t.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %d 1\n"+
			"sentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 5000\n", p, dir, master)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		startRedis(t, conf, "--sentinel")
		a := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		sentinels = append(sentinels, a)
		topoWait(t, "sentinel "+a, func() bool { return pingable(a) })
	}
	client := topoClient(t, ClientOptions{Mode: ModeSentinel, Addrs: sentinels, MasterName: "mymaster"})
	l := NewRedis(client, 200*time.Millisecond)
	lim := Limit{Limit: 1000, Window: time.Minute}
	if _, err := l.Allow(t.Context(), "before", lim); err != nil {
		t.Fatalf("before failover: %v", err)
	}
	mc := redis.NewClient(&redis.Options{Addr: masterAddr})
	t.Cleanup(func() { _ = mc.Close() })
	if n, err := mc.Exists(t.Context(), l.Key("before")).Result(); err != nil || n != 1 {
		t.Fatalf("the first decision is not on the original master: %d, %v", n, err)
	}
	sc := redis.NewSentinelClient(&redis.Options{Addr: sentinels[0]})
	t.Cleanup(func() { _ = sc.Close() })
	topoWait(t, "sentinel sees the replica", func() bool {
		r, err := sc.Replicas(t.Context(), "mymaster").Result()
		return err == nil && len(r) == 1
	})
	if err := sc.Failover(t.Context(), "mymaster").Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
	// During the switch every decision is either made or ErrUnavailable
	// (the middleware then fails closed or open per fail_closed), and
	// within bounds: never a hang.
	unavailable := 0
	topoWait(t, "the limiter on the new master", func() bool {
		start := time.Now()
		_, err := l.Allow(t.Context(), "during", lim)
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("a decision took %s during failover", took)
		}
		if err != nil {
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("err = %v, want ErrUnavailable", err)
			}
			unavailable++
			return false
		}
		addr, err := sc.GetMasterAddrByName(t.Context(), "mymaster").Result()
		return err == nil && net.JoinHostPort(addr[0], addr[1]) == replicaAddr
	})
	// The client drops its connections to the old master when Sentinel
	// announces the switch, asynchronously: a decision may still fail on
	// one of them for a moment. Then 20 decisions in a row must succeed.
	settle := time.Now().Add(10 * time.Second)
	for ok := 0; ok < 20; {
		if _, err := l.Allow(t.Context(), "after", lim); err != nil {
			if time.Now().After(settle) {
				t.Fatalf("after failover, 10s on, a decision still fails: %v", err)
			}
			ok = 0
			time.Sleep(20 * time.Millisecond)
			continue
		}
		ok++
	}
	t.Logf("decisions unavailable during the failover: %d", unavailable)
}

// writeCerts writes a CA and a server certificate for 127.0.0.1/localhost.
func writeCerts(t *testing.T) (dir string) {
	t.Helper()
	dir = t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(srvKey)
	for name, block := range map[string]*pem.Block{
		"ca.crt":     {Type: "CERTIFICATE", Bytes: caDER},
		"server.crt": {Type: "CERTIFICATE", Bytes: srvDER},
		"server.key": {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestTopologyTLS(t *testing.T) {
	certs := writeCerts(t)
	p := topoFreePort(t)
	args := []string{"--port", "0", "--tls-port", strconv.Itoa(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--tls-cert-file", filepath.Join(certs, "server.crt"), "--tls-key-file", filepath.Join(certs, "server.key"),
		"--tls-ca-cert-file", filepath.Join(certs, "ca.crt"), "--tls-auth-clients", "no"}
	startRedis(t, args...)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	tlsOpts := TLSOptions{Enabled: true, CAFile: filepath.Join(certs, "ca.crt"), ServerName: "localhost"}
	c := topoClient(t, ClientOptions{Addr: addr, TLS: tlsOpts})
	topoWait(t, "TLS redis", func() bool { return c.Ping(t.Context()).Err() == nil })
	l := NewRedis(c, time.Second)
	if r, err := l.Allow(t.Context(), "tls", Limit{Limit: 2, Window: time.Minute}); err != nil || !r.Allowed || r.Remaining != 1 {
		t.Fatalf("over TLS: %+v, %v", r, err)
	}
	// Plain TCP against the TLS port, and TLS without the CA, both fail.
	plain := topoClient(t, ClientOptions{Addr: addr})
	if err := plain.Ping(t.Context()).Err(); err == nil {
		t.Fatal("a plain-text client talked to the TLS port")
	}
	noCA := topoClient(t, ClientOptions{Addr: addr, TLS: TLSOptions{Enabled: true, ServerName: "localhost"}})
	if err := noCA.Ping(t.Context()).Err(); err == nil {
		t.Fatal("a client without the CA accepted the server certificate")
	}
}
