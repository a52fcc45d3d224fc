package query

import (
	"slices"
	"strings"

	"github.com/runwatch/runwatch/domain"
)

// Sorts are the orders a list can be asked for, by name: a column name for
// ascending, "-" and the name for descending. The empty name is the list's
// default. Every order ends with columns that make rows unique, so keyset
// pagination works for each.
type Sorts map[string]Order

// Get returns the order of a name, or says which names there are.
func (s Sorts) Get(name string) (Order, error) {
	if o, ok := s[name]; ok {
		return o, nil
	}
	return nil, domain.Invalidf("cannot sort by %q; sort by one of %s", domain.Clip(name), strings.Join(s.Names(), ", "))
}

// Names lists the names, the default ("") left out.
func (s Sorts) Names() []string {
	var out []string
	for n := range s {
		if n != "" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func asc(name string) Column { return Column{Name: name} }

// newest is a descending time column.
func newest(name string) Column { return Column{Name: name, Desc: true, Numeric: true} }

// The sorts of the lists the API serves.
var (
	ClusterSorts = Sorts{
		"":            ClusterOrder,
		"-created_at": {newest("created_at"), asc("id")},
	}
	NodeSorts = Sorts{
		"":                NodeOrder,
		"name":            {asc("name"), asc("cluster_name"), asc("cluster_id")},
		"-last_heartbeat": {newest("last_heartbeat"), asc("cluster_id"), asc("name")},
	}
	WorkloadSorts = Sorts{
		"":            WorkloadOrder,
		"name":        {asc("name"), asc("namespace"), asc("cluster_id"), asc("uid")},
		"kind":        {asc("kind"), asc("namespace"), asc("name"), asc("cluster_id"), asc("uid")},
		"cluster":     {asc("cluster_name"), asc("namespace"), asc("name"), asc("cluster_id"), asc("uid")},
		"-first_seen": {newest("first_seen"), asc("cluster_id"), asc("uid")},
		"-last_seen":  {newest("last_seen"), asc("cluster_id"), asc("uid")},
	}
	ContainerSorts = Sorts{
		"":            ContainerOrder,
		"image":       {asc("image"), asc("namespace"), asc("pod_name"), asc("name"), asc("cluster_id"), asc("pod_uid"), asc("container_id")},
		"-started_at": {newest("started_at"), asc("cluster_id"), asc("pod_uid"), asc("name"), asc("container_id")},
	}
	ImageSorts = Sorts{
		"":            ImageOrder,
		"-first_seen": {newest("first_seen"), asc("digest")},
		"-last_seen":  {newest("last_seen"), asc("digest")},
	}
	ProcessSorts = Sorts{
		"":            ProcessOrder,
		"-first_seen": {newest("first_seen"), newest("id")},
		"-count":      {newest("count"), newest("id")},
		"path":        {asc("path"), newest("id")},
	}
	FileSorts = Sorts{
		"":            FileOrder,
		"-first_seen": {newest("first_seen"), newest("id")},
		"-count":      {newest("count"), newest("id")},
		"path":        {asc("path"), newest("id")},
	}
)
