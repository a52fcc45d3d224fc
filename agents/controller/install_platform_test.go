package controller

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// The platform's chart lives beside the agents'; the same real API server
// validates it.
const platformChartDir = "../../deployments/helm/runwatch-platform"

// TestPlatformChartDryRun renders the platform's chart with several sets
// of values and has the API server validate every object (server-side dry
// run, strict field validation).
func TestPlatformChartDryRun(t *testing.T) {
	kube := needCluster(t).Client()
	a := newApplier(t)
	cases := []struct {
		name     string
		set      []string
		kinds    []string
		replicas int64
	}{
		{"SQLite on a volume: one replica whatever is asked", []string{"replicas=3"},
			[]string{"Deployment", "PersistentVolumeClaim", "Service"}, 1},
		{"Postgres, secrets, licence key", []string{"database.url=postgres://runwatch:pw@db:5432/runwatch", "secrets.adminToken=a-long-admin-token-0123",
			"secrets.adminPassword=a-long-password-0123", "licensePublicKey=MCowBQYDK2VwAyEA", "replicas=3"},
			[]string{"Deployment", "Secret", "Secret", "Service"}, 3},
		{"existing secrets, TLS, agent mTLS, scheduling", []string{"database.existingSecret=db", "secrets.existingSecret=platform",
			"tls.secretName=platform-tls", "tls.clientCASecret=agents-ca", "tls.requireAgentClientCert=true", "allowedOrigins[0]=https://ui.example.com",
			"nodeSelector.kubernetes\\.io/os=linux", "tolerations[0].operator=Exists", "resources.limits.memory=2Gi", "service.type=LoadBalancer"},
			[]string{"Deployment", "Service"}, 2},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs := dryRunChart(t, a, kube, platformChartDir, "rp"+string(rune('a'+i)), "platform", tc.set, tc.kinds)
			for _, o := range objs {
				if o.GetKind() == "Deployment" {
					if r, _, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "replicas"); fmt.Sprint(r) != fmt.Sprint(tc.replicas) {
						t.Errorf("replicas %v, want %d", r, tc.replicas)
					}
				}
			}
		})
	}
}
