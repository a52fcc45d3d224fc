// Package provider names where a node or a cluster runs ("aws", "gce",
// "azure", "kind", ...) from what Kubernetes records: a node's
// spec.providerID, its labels, and the API server's version string.
package provider

import (
	"regexp"
	"sort"
	"strings"
)

// aliases maps providerID schemes to the provider names Runwatch reports,
// where the scheme is not already that name.
var aliases = map[string]string{
	"gce":          "gce",
	"aws":          "aws",
	"azure":        "azure",
	"kind":         "kind",
	"kwok":         "kwok",
	"k3s":          "k3s",
	"digitalocean": "digitalocean",
	"openstack":    "openstack",
	"vsphere":      "vsphere",
	"ibm":          "ibm",
	"alicloud":     "alibaba",
	"oci":          "oracle",
	"linode":       "linode",
	"hcloud":       "hetzner",
	"equinixmetal": "equinixmetal",
	"packet":       "equinixmetal",
	"scaleway":     "scaleway",
	"exoscale":     "exoscale",
	"ovirt":        "ovirt",
	"kubevirt":     "kubevirt",
	"cloudstack":   "cloudstack",
	"huaweicloud":  "huaweicloud",
	"tencentcloud": "tencentcloud",
	"qcloud":       "tencentcloud",
	"gardener":     "gardener",
	"metal":        "metal",
	"proxmox":      "proxmox",
	"nutanix":      "nutanix",
	"civo":         "civo",
	"vultr":        "vultr",
	"upcloud":      "upcloud",
	"ionos":        "ionos",
	"cloudscale":   "cloudscale",
	"outscale":     "outscale",
	"baremetal":    "baremetal",
}

// scheme is what a providerID may start with: "<name>://".
var scheme = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]{0,31})://`)

// FromProviderID names the provider of a node from its spec.providerID, e.g.
// "aws:///eu-west-1a/i-0abc" → "aws". A scheme Runwatch does not know is
// reported as written (lower-cased); an empty or malformed id gives "".
func FromProviderID(id string) string {
	m := scheme.FindStringSubmatch(id)
	if m == nil {
		return ""
	}
	s := strings.ToLower(m[1])
	if name, ok := aliases[s]; ok {
		return name
	}
	return s
}

// Node is what cluster detection reads of each node.
type Node struct {
	ProviderID string
	Labels     map[string]string
}

// managed flavours, recognised by a node label their node pools carry, and
// by the suffix their API servers put in the version string.
var (
	managedByLabel = []struct{ label, name string }{
		{"eks.amazonaws.com/nodegroup", "eks"},
		{"eks.amazonaws.com/compute-type", "eks"},
		{"cloud.google.com/gke-nodepool", "gke"},
		{"kubernetes.azure.com/cluster", "aks"},
		{"node.openshift.io/os_id", "openshift"},
		{"k8s.ovh.net/nodepool", "ovh"},
		{"doks.digitalocean.com/node-pool", "doks"},
		{"oke.oraclecloud.com/node.info.private_subnet", "oke"},
	}
	managedByVersion = []struct{ marker, name string }{
		{"-eks-", "eks"},
		{"-gke.", "gke"},
		{"+k3s", "k3s"},
		{"+rke2", "rke2"},
	}
)

// ForCluster names the cluster's provider: a managed flavour when the
// version string or a node label says so (more useful than the bare cloud),
// otherwise the provider most of its nodes report. "" when nothing tells.
func ForCluster(kubernetesVersion string, nodes []Node) string {
	for _, m := range managedByVersion {
		if strings.Contains(kubernetesVersion, m.marker) {
			return m.name
		}
	}
	votes := map[string]int{}
	for _, n := range nodes {
		for _, m := range managedByLabel {
			if _, ok := n.Labels[m.label]; ok {
				return m.name
			}
		}
		if p := FromProviderID(n.ProviderID); p != "" {
			votes[p]++
		}
	}
	if len(votes) == 0 {
		return ""
	}
	names := make([]string, 0, len(votes))
	for p := range votes {
		names = append(names, p)
	}
	// Most votes wins; ties go to the first name, so the answer is stable.
	sort.Slice(names, func(i, j int) bool {
		if votes[names[i]] != votes[names[j]] {
			return votes[names[i]] > votes[names[j]]
		}
		return names[i] < names[j]
	})
	return names[0]
}
