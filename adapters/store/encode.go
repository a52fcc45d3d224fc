package store

import (
	"encoding/json"
	"time"
)

// us stores a time as Unix microseconds; the zero time is 0.
func us(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromUS reads a stored time; 0 is the zero time.
func fromUS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// jsonText stores a map or slice as JSON text, ” when empty.
func jsonText[T any](v T, empty bool) string {
	if empty {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "" // maps of strings and slices of strings always marshal
	}
	return string(b)
}

func labelsText(m map[string]string) string  { return jsonText(m, len(m) == 0) }
func stringsText(s []string) string          { return jsonText(s, len(s) == 0) }
func parseLabels(s string) map[string]string { return parseJSON[map[string]string](s) }
func parseStrings(s string) []string         { return parseJSON[[]string](s) }

func parseJSON[T any](s string) T {
	var v T
	if s != "" {
		_ = json.Unmarshal([]byte(s), &v) // stored by jsonText; a bad value reads as empty
	}
	return v
}
