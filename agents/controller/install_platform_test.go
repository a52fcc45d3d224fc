package controller

import (
	"fmt"
	"slices"
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
			space := ns(t, "platform")
			mustCreateNamespace(t, kube, space)
			out, err := helmTemplateChart(t, platformChartDir, "rp"+string(rune('a'+i)), space, tc.set...)
			if err != nil {
				t.Fatal(err)
			}
			objs := decodeYAML(t, out)
			if got := kindsOf(objs); !slices.Equal(got, tc.kinds) {
				t.Errorf("rendered kinds %v, want %v", got, tc.kinds)
			}
			for _, o := range objs {
				if o.GetKind() == "Deployment" {
					if r, _, _ := unstructured.NestedFieldNoCopy(o.Object, "spec", "replicas"); fmt.Sprint(r) != fmt.Sprint(tc.replicas) {
						t.Errorf("replicas %v, want %d", r, tc.replicas)
					}
				}
				if err := a.create(ctx(t), o, true); err != nil {
					t.Errorf("the API server rejects %s %s: %v", o.GetKind(), o.GetName(), err)
				}
			}
		})
	}
}
