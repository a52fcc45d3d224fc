package access

import (
	"fmt"
	"sort"
	"time"

	"github.com/runwatch/runwatch/domain"
)

// NodeInOperation is a node whose sensor heartbeats.
type NodeInOperation struct {
	ClusterID   string
	ClusterName string
	Node        string
	// Since is when its sensor started operating.
	Since time.Time
}

// Decision is whether a node in operation may report.
type Decision struct {
	NodeInOperation
	Restricted bool
	Reason     string
}

// Restrict decides which nodes in operation are over the entitlement. The
// oldest nodes keep their sensors; the newest beyond the entitled count
// are restricted, so a cluster that grows past its licence loses only its
// newest nodes' reports, never the ones it has relied on. Ties order by
// cluster and node name so every replica decides the same.
func Restrict(nodes []NodeInOperation, l License) []Decision {
	sorted := append([]NodeInOperation(nil), nodes...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if !a.Since.Equal(b.Since) {
			return a.Since.Before(b.Since)
		}
		if a.ClusterID != b.ClusterID {
			return a.ClusterID < b.ClusterID
		}
		return a.Node < b.Node
	})
	out := make([]Decision, len(sorted))
	for i, n := range sorted {
		out[i] = Decision{NodeInOperation: n}
		switch {
		case !l.SensorsLicensed:
			out[i].Restricted, out[i].Reason = true, "sensors are not licensed (controller-only licence)"
		case int64(i) >= l.SensorNodes:
			out[i].Restricted = true
			out[i].Reason = fmt.Sprintf("over the sensor entitlement: %d nodes in operation, %d licensed; the newest are restricted", len(sorted), l.SensorNodes)
		}
	}
	return out
}

// RestrictedError refuses a report from a node over the entitlement.
type RestrictedError struct {
	Reason     string
	RetryAfter time.Duration
}

func (e *RestrictedError) Error() string {
	return "this node is restricted: " + e.Reason + "; its reports are refused until the restriction lifts"
}

// Unwrap makes it a domain.ErrFailedPrecondition.
func (e *RestrictedError) Unwrap() error { return domain.ErrFailedPrecondition }
