package platform_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/runwatch/runwatch/platform"
	"github.com/runwatch/runwatch/platform/platformtest"
	v1 "github.com/runwatch/runwatch/proto/gen/runwatch/v1"
	"github.com/runwatch/runwatch/proto/gen/runwatch/v1/runwatchv1connect"
)

// entitlementBench is a platform with a one-node licence and one node in
// operation.
func entitlementBench(b *testing.B) (runwatchv1connect.SensorServiceClient, func(node, batch string) error) {
	pub, priv := licenseKeys(b)
	in := platformtest.StartWith(b, "sqlite", func(c *platform.Config) { c.LicensePublicKey = pub })
	lic := issue(b, priv, 1, true, time.Now().Add(time.Hour))
	if s, body := in.PostJSON(b, "/runwatch.v1.AdminService/ApplyLicense", platformtest.AdminToken, `{"license":"`+lic+`"}`); s != 200 {
		b.Fatalf("apply licence: %s", body)
	}
	_, sensor := platformtest.Agents(in.URL, in.CreateToken(b, "prod"))
	report := func(node, batch string) error {
		req := platformtest.SampleRuntime(batch, 1)
		req.NodeName = node
		_, err := sensor.ReportRuntime(context.Background(), connect.NewRequest(req))
		return err
	}
	return sensor, report
}

func heartbeat(b *testing.B, s runwatchv1connect.SensorServiceClient, node string, status v1.SensorStatus) {
	if _, err := s.NodeHeartbeat(context.Background(), connect.NewRequest(&v1.NodeHeartbeatRequest{NodeName: node, Status: status})); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEntitlementOverToRefused is the time from a node going over
// the entitlement (its sensor registers) to its first report being
// refused.
func BenchmarkEntitlementOverToRefused(b *testing.B) {
	sensor, report := entitlementBench(b)
	ctx := context.Background()
	if _, err := sensor.RegisterNode(ctx, connect.NewRequest(&v1.RegisterNodeRequest{NodeName: "entitled"})); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		node := fmt.Sprintf("extra-%d", i)
		i++
		if _, err := sensor.RegisterNode(ctx, connect.NewRequest(&v1.RegisterNodeRequest{NodeName: node})); err != nil {
			b.Fatal(err)
		}
		if err := report(node, fmt.Sprintf("over-batch-%08d", i)); connect.CodeOf(err) != connect.CodeFailedPrecondition {
			b.Fatalf("report of %s: %v", node, err)
		}
		b.StopTimer()
		heartbeat(b, sensor, node, v1.SensorStatus_SENSOR_STATUS_STOPPED)
		b.StartTimer()
	}
}

// BenchmarkEntitlementGoneToLifted is the time from the entitled node
// stopping to the restricted node's report being accepted.
func BenchmarkEntitlementGoneToLifted(b *testing.B) {
	sensor, report := entitlementBench(b)
	ctx := context.Background()
	nodes := [2]string{"node-a", "node-b"}
	for _, n := range nodes {
		if _, err := sensor.RegisterNode(ctx, connect.NewRequest(&v1.RegisterNodeRequest{NodeName: n})); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		// nodes[0] is entitled, nodes[1] restricted.
		heartbeat(b, sensor, nodes[0], v1.SensorStatus_SENSOR_STATUS_STOPPED)
		if err := report(nodes[1], fmt.Sprintf("lift-batch-%08d", i)); err != nil {
			b.Fatalf("report of %s after %s stopped: %v", nodes[1], nodes[0], err)
		}
		i++
		b.StopTimer()
		heartbeat(b, sensor, nodes[0], v1.SensorStatus_SENSOR_STATUS_RUNNING) // back, now the newest: restricted
		nodes[0], nodes[1] = nodes[1], nodes[0]
		b.StartTimer()
	}
}
