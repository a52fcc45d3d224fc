package provider

import (
	"strings"
	"testing"
)

func TestFromProviderID(t *testing.T) {
	for id, want := range map[string]string{
		"aws:///eu-west-1a/i-0abc123":                          "aws",
		"gce://my-project/europe-west1-b/gke-pool-1-abcd":      "gce",
		"azure:///subscriptions/x/resourceGroups/y/providers/": "azure",
		"kind://docker/dev/dev-control-plane":                  "kind",
		"kwok://node-1":                                        "kwok",
		"k3s://node-1":                                         "k3s",
		"digitalocean://123456":                                "digitalocean",
		"alicloud://cn-hangzhou.i-abc":                         "alibaba",
		"oci://ocid1.instance.oc1":                             "oracle",
		"hcloud://1234":                                        "hetzner",
		"packet://abcd":                                        "equinixmetal",
		"AWS:///us-east-1a/i-1":                                "aws",
		"mycloud://x":                                          "mycloud", // unknown, as written
		"":                                                     "",
		"i-0abc123":                                            "",
		"://x":                                                 "",
		"1cloud://x":                                           "",
		"a b://x":                                              "",
		strings.Repeat("a", 40) + "://x":                       "",
	} {
		if got := FromProviderID(id); got != want {
			t.Errorf("FromProviderID(%q) = %q, want %q", id, got, want)
		}
	}
}

func TestForCluster(t *testing.T) {
	aws := Node{ProviderID: "aws:///eu-west-1a/i-1"}
	gce := Node{ProviderID: "gce://p/z/n"}
	tests := []struct {
		name    string
		version string
		nodes   []Node
		want    string
	}{
		{"eks by version", "v1.30.4-eks-a737599", []Node{aws}, "eks"},
		{"gke by version", "v1.31.1-gke.1146000", []Node{gce}, "gke"},
		{"k3s by version", "v1.30.5+k3s1", nil, "k3s"},
		{"rke2 by version", "v1.30.5+rke2r1", nil, "rke2"},
		{"eks by node label", "v1.37.2", []Node{{ProviderID: aws.ProviderID, Labels: map[string]string{"eks.amazonaws.com/nodegroup": "ng"}}}, "eks"},
		{"aks by node label", "v1.37.2", []Node{{Labels: map[string]string{"kubernetes.azure.com/cluster": "rg"}}}, "aks"},
		{"the majority of nodes", "v1.37.2", []Node{aws, aws, gce}, "aws"},
		{"a tie is stable", "v1.37.2", []Node{gce, aws}, "aws"},
		{"nodes without provider ids", "v1.37.2", []Node{{}, {}}, ""},
		{"no nodes", "v1.37.2", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ForCluster(tt.version, tt.nodes); got != tt.want {
				t.Errorf("ForCluster(%q, %v) = %q, want %q", tt.version, tt.nodes, got, tt.want)
			}
		})
	}
}

func FuzzFromProviderID(f *testing.F) {
	for _, s := range []string{"aws:///a/b", "gce://p/z/n", "", "://", "x://", "AWS://", "a+b.c-d://e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		got := FromProviderID(id)
		if got == "" {
			return
		}
		if !strings.Contains(id, "://") || len(got) > 32 || got != strings.ToLower(got) {
			t.Fatalf("FromProviderID(%q) = %q", id, got)
		}
	})
}
