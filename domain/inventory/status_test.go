package inventory

import (
	"testing"
	"time"
)

func TestEffectiveSensorStatus(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	fresh := now.Add(-10 * time.Second)
	stale := now.Add(-StaleAfter - time.Second)
	tests := []struct {
		name     string
		disabled bool
		state    SensorState
		want     SensorStatus
	}{
		{"never heard", false, SensorState{}, SensorNotInstalled},
		{"fresh heartbeat", false, SensorState{Reported: SensorRunning, LastHeartbeat: fresh}, SensorRunning},
		{"fresh heartbeat without a status", false, SensorState{LastHeartbeat: fresh}, SensorRunning},
		{"reports degraded", false, SensorState{Reported: SensorDegraded, LastHeartbeat: fresh}, SensorDegraded},
		{"reports failed", false, SensorState{Reported: SensorFailed, LastHeartbeat: fresh}, SensorFailed},
		{"went silent while running", false, SensorState{Reported: SensorRunning, LastHeartbeat: stale}, SensorFailed},
		{"exactly at the stale limit is still fresh", false, SensorState{Reported: SensorRunning, LastHeartbeat: now.Add(-StaleAfter)}, SensorRunning},
		{"label wins over everything", true, SensorState{Reported: SensorRunning, LastHeartbeat: fresh, Restricted: true}, SensorDisabled},
		{"label without any sensor", true, SensorState{}, SensorDisabled},
		{"restricted while heartbeating", false, SensorState{Reported: SensorRunning, LastHeartbeat: fresh, Restricted: true}, SensorRestricted},
		{"restricted and silent", false, SensorState{LastHeartbeat: stale, Restricted: true}, SensorRestricted},
		{"a sensor that stopped on a disabled node", false, SensorState{Reported: SensorDisabled, LastHeartbeat: fresh}, SensorDisabled},
		{"stopped cleanly", false, SensorState{Reported: SensorStopped, LastHeartbeat: fresh}, SensorStopped},
		{"stopped cleanly long ago is not a failure", false, SensorState{Reported: SensorStopped, LastHeartbeat: stale}, SensorStopped},
		{"says restricted after the platform lifted it", false, SensorState{Reported: SensorRestricted, LastHeartbeat: fresh}, SensorRunning},
		{"unknown reported status counts as running", false, SensorState{Reported: "weird", LastHeartbeat: fresh}, SensorRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EffectiveSensorStatus(tt.disabled, tt.state, now); got != tt.want {
				t.Errorf("EffectiveSensorStatus = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEffectiveControllerStatus(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		state ControllerState
		want  ControllerStatus
	}{
		{"never heard", ControllerState{}, ControllerNotConnected},
		{"heartbeat", ControllerState{Reported: ControllerConnected, LastHeartbeat: now.Add(-time.Second)}, ControllerConnected},
		{"a report counts as a sign of life", ControllerState{LastReport: now.Add(-time.Second), LastHeartbeat: now.Add(-time.Hour)}, ControllerConnected},
		{"degraded", ControllerState{Reported: ControllerDegraded, LastHeartbeat: now}, ControllerDegraded},
		{"silent", ControllerState{Reported: ControllerConnected, LastHeartbeat: now.Add(-StaleAfter - time.Second)}, ControllerDisconnected},
		{"said it stopped", ControllerState{Reported: ControllerDisconnected, LastHeartbeat: now}, ControllerDisconnected},
		{"silent and degraded is disconnected", ControllerState{Reported: ControllerDegraded, LastHeartbeat: now.Add(-time.Hour)}, ControllerDisconnected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EffectiveControllerStatus(tt.state, now); got != tt.want {
				t.Errorf("EffectiveControllerStatus = %q, want %q", got, tt.want)
			}
		})
	}
}
