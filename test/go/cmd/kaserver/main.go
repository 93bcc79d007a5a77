// kaserver is a KubeArmor LogService built on KubeArmor's published Go stubs. It replays a
// recorded fixture of Alerts and Logs (karmor --json dialect, decoded with encoding/json into
// *pb.Alert / *pb.Log) to every stream that passes KubeArmor's filter gating, then keeps the
// stream open. Output lines: LISTENING <addr>, HEALTHCHECK <nonce>, WATCH <rpc> <filter>.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"sync"

	pb "github.com/kubearmor/KubeArmor/protobuf"
	"google.golang.org/grpc"
)

type fixture struct {
	Alerts []*pb.Alert `json:"alerts"`
	Logs   []*pb.Log   `json:"logs"`
}

var mu sync.Mutex

func emit(format string, args ...any) {
	mu.Lock()
	defer mu.Unlock()
	fmt.Printf(format+"\n", args...)
}

type server struct {
	fx          fixture
	closeAfter  bool
	nonceOffset int32
}

func (s *server) HealthCheck(_ context.Context, n *pb.NonceMessage) (*pb.ReplyMessage, error) {
	emit("HEALTHCHECK %d", n.Nonce)
	return &pb.ReplyMessage{Retval: n.Nonce + s.nonceOffset}, nil
}

func (s *server) WatchMessages(r *pb.RequestMessage, st pb.LogService_WatchMessagesServer) error {
	emit("WATCH WatchMessages %q", r.Filter)
	<-st.Context().Done()
	return nil
}

func (s *server) WatchAlerts(r *pb.RequestMessage, st pb.LogService_WatchAlertsServer) error {
	emit("WATCH WatchAlerts %q", r.Filter)
	if r.Filter != "all" && r.Filter != "policy" {
		return nil
	}
	for _, a := range s.fx.Alerts {
		if err := st.Send(a); err != nil {
			return err
		}
	}
	emit("SENT WatchAlerts %d", len(s.fx.Alerts))
	if s.closeAfter {
		return nil
	}
	<-st.Context().Done()
	return nil
}

func (s *server) WatchLogs(r *pb.RequestMessage, st pb.LogService_WatchLogsServer) error {
	emit("WATCH WatchLogs %q", r.Filter)
	if r.Filter != "all" && r.Filter != "system" {
		return nil
	}
	for _, l := range s.fx.Logs {
		if err := st.Send(l); err != nil {
			return err
		}
	}
	emit("SENT WatchLogs %d", len(s.fx.Logs))
	if s.closeAfter {
		return nil
	}
	<-st.Context().Done()
	return nil
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	file := flag.String("fixture", "", "JSON file {\"alerts\":[...],\"logs\":[...]}")
	closeAfter := flag.Bool("close-after-send", false, "end each stream after replaying the fixture")
	nonceOffset := flag.Int("nonce-offset", 0, "answer HealthCheck with nonce+offset (a broken server)")
	flag.Parse()
	s := &server{closeAfter: *closeAfter, nonceOffset: int32(*nonceOffset)}
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := json.Unmarshal(b, &s.fx); err != nil {
			fmt.Fprintln(os.Stderr, "fixture:", err)
			os.Exit(2)
		}
	}
	lis, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	g := grpc.NewServer()
	pb.RegisterLogServiceServer(g, s)
	emit("LISTENING %s", lis.Addr().String())
	if err := g.Serve(lis); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
