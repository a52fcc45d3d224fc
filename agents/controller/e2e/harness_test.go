// Package e2e runs the runwatch-controller binary against a real API server
// (with kube-controller-manager and kwok) and the real runwatch-platform
// binary, both built in TestMain, and checks the inventory through the
// platform's query API.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"testing"
	"time"

	"connectrpc.com/connect"
	runwatchv1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"

	"github.com/runwatch/runwatch/agents/internal/kubetest"
	"github.com/runwatch/runwatch/agents/internal/proctest"
	"github.com/runwatch/runwatch/agents/internal/testenv"
)

const adminToken = "e2e-admin-token-0123456789abcdef"

var (
	cluster     *kubetest.Cluster
	platformBin string
	ctlBin      string
	setupErr    error
)

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	// Listing tests (go test -list) needs no control plane.
	flag.Parse()
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return m.Run()
	}
	root := proctest.RepoRoot()
	if _, err := os.Stat(filepath.Join(root, "platform/cmd/runwatch-platform")); err != nil {
		setupErr = fmt.Errorf("the platform is not in this tree: %w", err)
		return m.Run()
	}
	if _, err := kubetest.BinDir(); err != nil {
		setupErr = err
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "runwatch-e2e-")
	if err != nil {
		log.Print(err)
		return 1
	}
	defer os.RemoveAll(dir)
	platformBin, ctlBin = filepath.Join(dir, "runwatch-platform"), filepath.Join(dir, "runwatch-controller")
	for _, b := range []struct{ dir, out, pkg string }{
		{root, platformBin, "./platform/cmd/runwatch-platform"},
		{filepath.Join(root, "agents"), ctlBin, "./cmd/runwatch-controller"},
	} {
		if err := proctest.Build(b.dir, b.pkg, b.out); err != nil {
			log.Print(err)
			return 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := kubetest.Start(ctx, filepath.Join(dir, "k8s"), kubetest.Options{ControllerManager: true, Kwok: true, Logf: log.Printf})
	if err != nil {
		log.Printf("start the test control plane: %v", err)
		return 1
	}
	defer c.Stop()
	cluster = c
	return m.Run()
}

func need(tb testing.TB) *kubetest.Cluster {
	tb.Helper()
	if cluster == nil {
		testenv.Missing(tb, setupErr)
	}
	return cluster
}

func startPlatform(tb testing.TB, dataDir, addr string) *proctest.Platform {
	tb.Helper()
	return proctest.StartPlatform(tb, platformBin, dataDir, addr, adminToken)
}

// containers lists every container the filter matches, all pages.
func containers(ctx context.Context, inv runwatchv1connect.InventoryServiceClient, f *runwatchv1.Filter) ([]*runwatchv1.Container, error) {
	var out []*runwatchv1.Container
	page := &runwatchv1.Page{Size: 1000}
	for {
		res, err := inv.ListContainers(ctx, connect.NewRequest(&runwatchv1.ListContainersRequest{Filter: f, Page: page}))
		if err != nil {
			return nil, err
		}
		out = append(out, res.Msg.Containers...)
		if res.Msg.NextPageToken == "" {
			return out, nil
		}
		page = &runwatchv1.Page{Size: 1000, Token: res.Msg.NextPageToken}
	}
}

// controllerProc is a runwatch-controller process.
type controllerProc struct {
	*proctest.Proc
	health string
}

func startController(tb testing.TB, dir, platformURL, token, clusterName string, extra ...string) *controllerProc {
	tb.Helper()
	c := need(tb)
	kubeconfig := filepath.Join(dir, "controller.kubeconfig")
	if err := c.WriteKubeconfig(kubeconfig, c.AdminToken); err != nil {
		tb.Fatal(err)
	}
	listen := proctest.FreeAddr(tb)
	args := append([]string{"--platform", platformURL, "--kubeconfig", kubeconfig, "--listen", listen, "--log-format", "json"}, extra...)
	p := proctest.Start(tb, filepath.Join(dir, "controller.log"),
		[]string{"RUNWATCH_TOKEN=" + token, "RUNWATCH_CLUSTER_NAME=" + clusterName}, ctlBin, args...)
	tb.Cleanup(func() { _ = p.Stop() })
	return &controllerProc{Proc: p, health: "http://" + listen}
}

// snapshotTook reads the duration of the controller's last snapshot from
// its log ("snapshot sent" ... "took").
func (c *controllerProc) snapshotTook() (time.Duration, error) {
	f, err := os.Open(c.Log)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var took time.Duration
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		// slog writes a duration as nanoseconds in JSON.
		var rec struct {
			Msg  string `json:"msg"`
			Took int64  `json:"took"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "snapshot sent" {
			took = time.Duration(rec.Took)
		}
	}
	if took == 0 {
		return 0, fmt.Errorf("no snapshot in %s", c.Log)
	}
	return took, nil
}
