package runtime

import "github.com/runwatch/runwatch/domain/inventory"

// SensorMode says where a sensor runs.
type SensorMode string

const (
	ModeKubernetes SensorMode = "kubernetes"
	ModeHost       SensorMode = "host"
)

// HookMode says which kernel hooks a sensor runs with.
type HookMode string

const (
	HookLSM        HookMode = "lsm"
	HookFentry     HookMode = "fentry"
	HookTracepoint HookMode = "tracepoint"
)

// SensorInfo is what a sensor says about itself and its node when it starts.
type SensorInfo struct {
	NodeName      string
	KernelVersion string
	OSImage       string
	Architecture  string
	Version       string
	Mode          SensorMode
	HookMode      HookMode
	BootID        string
}

// Drops are a sensor's loss counters since it started.
type Drops struct {
	RingBuffer, SpoolFull, DecodeErrors, DedupOverflow, FilteredInKernel, RejectedByPlatform uint64
}

// Heartbeat is a sensor's periodic report on itself.
type Heartbeat struct {
	NodeName       string
	Version        string
	Status         inventory.SensorStatus
	Message        string
	Mode           SensorMode
	HookMode       HookMode
	Drops          Drops
	EventsReceived uint64
	SpooledRecords uint64
}
