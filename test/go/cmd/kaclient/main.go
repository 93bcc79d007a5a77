// kaclient is a KubeArmor gRPC client built on KubeArmor's published Go stubs
// (github.com/kubearmor/KubeArmor/protobuf), used by otelarmor's e2e tests to prove wire
// compatibility. Output, one line each:
//
//	HEALTHCHECK <nonce> <retval>
//	ALERT <encoding/json of *pb.Alert>      (exactly `karmor logs --json`)
//	LOG <encoding/json of *pb.Log>
//	MESSAGE <encoding/json of *pb.Message>
//	END <alerts|logs|messages> <grpc status code> <received count>
//	HEALTH <service> <status or error code>
//	DIAL <n>                                  (-h2-frames: each TCP connection grpc-go opens)
//	H2 <sent|recv> <PING|PING-ACK|GOAWAY <error code> <debug data>>   (-h2-frames, plaintext only)
//	IDLE-DONE                                  (-idle: after the idle period, before the second HealthCheck)
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	pb "github.com/kubearmor/KubeArmor/protobuf"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

var out = struct {
	sync.Mutex
	w *os.File
}{w: os.Stdout}

func emit(format string, args ...any) {
	out.Lock()
	defer out.Unlock()
	fmt.Fprintf(out.w, format+"\n", args...)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:32767", "LogService address")
	nonce := flag.Int("nonce", 0, "HealthCheck nonce (0 = skip)")
	alerts := flag.String("alerts", "", "WatchAlerts with this filter (\"-\" = do not call)")
	logs := flag.String("logs", "", "WatchLogs with this filter")
	messages := flag.String("messages", "", "WatchMessages with this filter")
	skipAlerts := flag.Bool("no-alerts", false, "do not call WatchAlerts")
	skipLogs := flag.Bool("no-logs", false, "do not call WatchLogs")
	skipMessages := flag.Bool("no-messages", true, "do not call WatchMessages")
	stall := flag.Duration("stall", 0, "open the streams, then wait this long before the first Recv")
	stallSignal := flag.Bool("stall-until-usr1", false, "open the streams, then wait for SIGUSR1 before the first Recv")
	window := flag.Int("window", 0, "initial stream and connection flow-control window in bytes (0 = grpc-go default with BDP estimation)")
	health := flag.String("health", "", "comma-separated grpc.health.v1 service names to Check (\"<empty>\" = \"\")")
	healthWatch := flag.Bool("health-watch", false, "also Watch each health service (first response)")
	caFile := flag.String("tls-ca", "", "server CA (enables TLS)")
	certFile := flag.String("tls-cert", "", "client certificate")
	keyFile := flag.String("tls-key", "", "client key")
	serverName := flag.String("tls-server-name", "", "TLS server name override")
	timeout := flag.Duration("timeout", 60*time.Second, "overall deadline")
	text := flag.Bool("text", false, "print karmor's text rendering instead of JSON (TEXT <line>)")
	kaTime := flag.Duration("keepalive-time", 0, "client keepalive ping interval (0 = no keepalive; grpc-go raises values under 10s to 10s)")
	kaTimeout := flag.Duration("keepalive-timeout", 20*time.Second, "client keepalive ping timeout")
	kaPermit := flag.Bool("keepalive-permit-without-stream", false, "keepalive pings also without active RPCs")
	h2Frames := flag.Bool("h2-frames", false, "report DIAL, PING and GOAWAY frames of the connection (plaintext only)")
	idle := flag.Duration("idle", 0, "with -nonce and no streams: stay connected this long, then HealthCheck again on the same connection")
	flag.Parse()

	creds := insecure.NewCredentials()
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		cfg := &tls.Config{RootCAs: pool, ServerName: *serverName}
		if *certFile != "" {
			c, err := tls.LoadX509KeyPair(*certFile, *keyFile)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			cfg.Certificates = []tls.Certificate{c}
		}
		creds = credentials.NewTLS(cfg)
	}
	dialOpts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if *kaTime > 0 {
		// KubeArmor's clients (kubearmor-relay-server): ClientParameters{Time: 1s, Timeout: 5s, PermitWithoutStream: true}.
		dialOpts = append(dialOpts, grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: *kaTime, Timeout: *kaTimeout, PermitWithoutStream: *kaPermit}))
	}
	if *h2Frames {
		if *caFile != "" {
			fmt.Fprintln(os.Stderr, "-h2-frames needs a plaintext connection")
			os.Exit(2)
		}
		dials := 0
		dialOpts = append(dialOpts, grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			dials++
			emit("DIAL %d", dials)
			c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			// The client starts with the 24-byte HTTP/2 connection preface, then frames.
			return &frameConn{Conn: c, sent: &h2Parser{dir: "sent", skip: 24}, recv: &h2Parser{dir: "recv"}}, nil
		}))
	}
	if *window > 0 {
		dialOpts = append(dialOpts, grpc.WithInitialWindowSize(int32(*window)), grpc.WithInitialConnWindowSize(int32(*window)))
	}
	conn, err := grpc.NewClient(*addr, dialOpts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	if *health != "" {
		hc := healthpb.NewHealthClient(conn)
		for _, name := range strings.Split(*health, ",") {
			if name == "<empty>" {
				name = ""
			}
			r, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
			if err != nil {
				emit("HEALTH %q check-error %s", name, status.Code(err))
			} else {
				emit("HEALTH %q check %s", name, r.Status)
			}
			if *healthWatch {
				wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
				w, err := hc.Watch(wctx, &healthpb.HealthCheckRequest{Service: name})
				if err == nil {
					var r *healthpb.HealthCheckResponse
					r, err = w.Recv()
					if err == nil {
						emit("HEALTH %q watch %s", name, r.Status)
					}
				}
				if err != nil {
					emit("HEALTH %q watch-error %s", name, status.Code(err))
				}
				wcancel()
			}
		}
		return
	}

	client := pb.NewLogServiceClient(conn)
	if *nonce != 0 {
		r, err := client.HealthCheck(ctx, &pb.NonceMessage{Nonce: int32(*nonce)})
		if err != nil {
			fmt.Fprintln(os.Stderr, "HealthCheck:", err)
			os.Exit(1)
		}
		emit("HEALTHCHECK %d %d", *nonce, r.Retval)
		if *idle > 0 {
			time.Sleep(*idle)
			emit("IDLE-DONE")
			r, err := client.HealthCheck(ctx, &pb.NonceMessage{Nonce: int32(*nonce) + 1})
			if err != nil {
				fmt.Fprintln(os.Stderr, "HealthCheck after idle:", err)
				os.Exit(1)
			}
			emit("HEALTHCHECK %d %d", *nonce+1, r.Retval)
		}
	}

	var wg sync.WaitGroup
	release := make(chan struct{})
	if *stallSignal {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			<-usr1
			emit("RELEASED")
			close(release)
		}()
	} else {
		close(release)
	}
	run := func(kind string, recv func() (any, error), label string) {
		defer wg.Done()
		if *stall > 0 {
			time.Sleep(*stall)
		}
		<-release
		n := 0
		for {
			m, err := recv()
			if err != nil {
				code := status.Code(err)
				if err.Error() == "EOF" {
					emit("END %s OK %d", kind, n)
				} else {
					emit("END %s %s %d", kind, code, n)
					fmt.Fprintf(os.Stderr, "kaclient: %s stream: %v\n", kind, err)
				}
				return
			}
			n++
			b, _ := json.Marshal(m)
			if *text {
				kind := "Alert"
				if label == "LOG" {
					kind = "Log"
				}
				// One emit per event so that blocks of concurrent streams never interleave.
				lines := strings.Split(strings.TrimSuffix(karmorText(b, kind), "\n"), "\n")
				emit("TEXT %s", strings.Join(lines, "\nTEXT "))
				continue
			}
			emit("%s %s", label, b)
		}
	}
	if !*skipAlerts {
		s, err := client.WatchAlerts(ctx, &pb.RequestMessage{Filter: *alerts})
		if err != nil {
			fmt.Fprintln(os.Stderr, "WatchAlerts:", err)
			os.Exit(1)
		}
		wg.Add(1)
		go run("alerts", func() (any, error) { return s.Recv() }, "ALERT")
	}
	if !*skipLogs {
		s, err := client.WatchLogs(ctx, &pb.RequestMessage{Filter: *logs})
		if err != nil {
			fmt.Fprintln(os.Stderr, "WatchLogs:", err)
			os.Exit(1)
		}
		wg.Add(1)
		go run("logs", func() (any, error) { return s.Recv() }, "LOG")
	}
	if !*skipMessages {
		s, err := client.WatchMessages(ctx, &pb.RequestMessage{Filter: *messages})
		if err != nil {
			fmt.Fprintln(os.Stderr, "WatchMessages:", err)
			os.Exit(1)
		}
		wg.Add(1)
		go run("messages", func() (any, error) { return s.Recv() }, "MESSAGE")
	}
	emit("STREAMS-OPEN")
	wg.Wait()
}

// karmorText renders an event as `karmor logs` does in text mode (kubearmor-client
// log/logClient.go WatchTelemetryHelper): JSON → map[string]interface{}, a header with
// UpdatedTime, then the fixed keys and the remaining keys sorted, each as "%s: %v".
func karmorText(arr []byte, t string) string {
	var res map[string]interface{}
	if err := json.Unmarshal(arr, &res); err != nil {
		return ""
	}
	var str string
	if tm, ok := res["UpdatedTime"]; ok {
		updatedTime := strings.Replace(tm.(string), "T", " ", -1)
		updatedTime = strings.Replace(updatedTime, "Z", "", -1)
		str = fmt.Sprintf("== %s / %s ==\n", t, updatedTime)
	} else {
		str = fmt.Sprintf("== %s ==\n", t)
	}
	keys := []string{"UpdatedTime", "Timestamp", "ClusterName", "HostName", "NamespaceName", "PodName",
		"Labels", "ContainerName", "ContainerID", "ContainerImage", "Type", "PolicyName", "Severity",
		"Message", "Source", "Resource", "Operation", "Action", "Data", "Enforcer", "Result"}
	fixed := map[string]bool{}
	for _, k := range keys {
		fixed[k] = true
	}
	var extra []string
	for k := range res {
		if !fixed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	keys = append(keys, extra...)
	for i := 2; i < len(keys); i++ {
		k := keys[i]
		if v, ok := res[k]; ok && v != "" {
			str += fmt.Sprintf("%s: %v\n", k, v)
		}
	}
	return str
}

// frameConn reports the HTTP/2 PING and GOAWAY frames crossing a plaintext gRPC connection.
type frameConn struct {
	net.Conn
	sent, recv *h2Parser
}

func (c *frameConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.recv.feed(b[:n])
	return n, err
}

func (c *frameConn) Write(b []byte) (int, error) {
	c.sent.feed(b)
	return c.Conn.Write(b)
}

// h2Parser splits one direction of an HTTP/2 connection into frames (RFC 9113 §4.1: 24-bit
// length, 8-bit type, 8-bit flags, 31-bit stream id, payload). PING is type 6 (flag 0x1 = ACK),
// GOAWAY type 7 (last stream id, 32-bit error code, debug data).
type h2Parser struct {
	dir  string
	skip int
	buf  []byte
}

var h2Errors = map[uint32]string{0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR",
	4: "SETTINGS_TIMEOUT", 5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM", 8: "CANCEL",
	9: "COMPRESSION_ERROR", 10: "CONNECT_ERROR", 11: "ENHANCE_YOUR_CALM", 12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED"}

func (p *h2Parser) feed(b []byte) {
	if p.skip > 0 {
		k := min(p.skip, len(b))
		p.skip -= k
		b = b[k:]
	}
	p.buf = append(p.buf, b...)
	for len(p.buf) >= 9 {
		n := int(p.buf[0])<<16 | int(p.buf[1])<<8 | int(p.buf[2])
		if len(p.buf) < 9+n {
			return
		}
		typ, flags, payload := p.buf[3], p.buf[4], p.buf[9:9+n]
		switch {
		case typ == 6 && flags&1 != 0:
			emit("H2 %s PING-ACK", p.dir)
		case typ == 6:
			emit("H2 %s PING", p.dir)
		case typ == 7 && n >= 8:
			code := binary.BigEndian.Uint32(payload[4:8])
			name, ok := h2Errors[code]
			if !ok {
				name = fmt.Sprintf("0x%x", code)
			}
			emit("H2 %s GOAWAY %s %q", p.dir, name, string(payload[8:]))
		}
		p.buf = p.buf[9+n:]
	}
}
