package inventory

import "time"

// SensorStatus is the state of the sensor on a node, as the API shows it.
type SensorStatus string

const (
	SensorNotInstalled SensorStatus = "not_installed"
	SensorRunning      SensorStatus = "running"
	SensorDegraded     SensorStatus = "degraded"
	SensorFailed       SensorStatus = "failed"
	SensorDisabled     SensorStatus = "disabled"
	SensorRestricted   SensorStatus = "restricted"
	// SensorStopped: the sensor said it stopped cleanly.
	SensorStopped SensorStatus = "stopped"
)

// ControllerStatus is the state of a cluster's controller.
type ControllerStatus string

const (
	ControllerNotConnected ControllerStatus = "not_connected"
	ControllerConnected    ControllerStatus = "connected"
	ControllerDegraded     ControllerStatus = "degraded"
	ControllerDisconnected ControllerStatus = "disconnected"
)

// Heartbeats are expected every HeartbeatInterval; an agent is taken for
// gone after StaleAfter without one (three missed beats).
const (
	HeartbeatInterval = 30 * time.Second
	StaleAfter        = 3 * HeartbeatInterval
)

// SensorState is what the platform last heard from a node's sensor.
type SensorState struct {
	// Reported is the status in the last heartbeat; empty when none came.
	Reported      SensorStatus
	LastHeartbeat time.Time
	// Restricted is set while the node is over the sensor entitlement.
	Restricted bool
}

// EffectiveSensorStatus decides what the API says of a node's sensor. The
// order matters: a node labelled disabled is disabled whatever its sensor
// last said; a restricted node is restricted even while it heartbeats; a
// silent sensor has failed, whatever it said before going silent.
func EffectiveSensorStatus(disabledByLabel bool, s SensorState, now time.Time) SensorStatus {
	switch {
	case disabledByLabel:
		return SensorDisabled
	case s.Restricted:
		return SensorRestricted
	case s.LastHeartbeat.IsZero():
		return SensorNotInstalled
	case s.Reported == SensorStopped:
		// Silence after a clean stop is expected, not a failure.
		return SensorStopped
	case now.Sub(s.LastHeartbeat) > StaleAfter:
		return SensorFailed
	}
	switch s.Reported {
	case SensorRunning, SensorDegraded, SensorFailed, SensorDisabled, SensorStopped:
		return s.Reported
	}
	// A heartbeat without a status is a sensor that runs; so is one that
	// still says "restricted" after the platform lifted its restriction.
	return SensorRunning
}

// ControllerState is what the platform last heard from a cluster's controller.
type ControllerState struct {
	Reported      ControllerStatus
	Version       string
	Message       string
	LastHeartbeat time.Time
	LastReport    time.Time
	Pending       int64
}

// EffectiveControllerStatus decides what the API says of a controller.
func EffectiveControllerStatus(s ControllerState, now time.Time) ControllerStatus {
	last := s.LastHeartbeat
	if s.LastReport.After(last) {
		last = s.LastReport
	}
	switch {
	case last.IsZero():
		return ControllerNotConnected
	case now.Sub(last) > StaleAfter, s.Reported == ControllerDisconnected:
		// Silent, or it said it stopped.
		return ControllerDisconnected
	case s.Reported == ControllerDegraded:
		return ControllerDegraded
	}
	return ControllerConnected
}
