//go:build linux

package main

import (
	"log/slog"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	t.Setenv("NODE_NAME", "")
	t.Setenv("RUNWATCH_PLATFORM", "")
	t.Setenv("RUNWATCH_TOKEN", "")
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		check   func(*options) bool
	}{
		{name: "kubernetes mode needs the node name", args: []string{"--platform", "http://p:1", "--token", "t"}, wantErr: "node name is required"},
		{name: "node name from the downward API", args: []string{"--platform", "http://p:1", "--token", "t"}, env: map[string]string{"NODE_NAME": "worker-3"},
			check: func(o *options) bool { return o.nodeName == "worker-3" && !o.host }},
		{name: "host mode names itself", args: []string{"--host", "--platform", "http://p:1", "--token", "t"},
			check: func(o *options) bool { return o.nodeName != "" && o.sensor.HostRoot == "/" }},
		{name: "platform and token from the environment", args: []string{"--host"}, env: map[string]string{"RUNWATCH_PLATFORM": "https://rw.example", "RUNWATCH_TOKEN": "tok"},
			check: func(o *options) bool {
				return o.transport.PlatformURL == "https://rw.example" && o.transport.Token == "tok"
			}},
		{name: "a token is required", args: []string{"--host", "--platform", "http://p:1"}, wantErr: "token is required"},
		{name: "print mode needs no platform", args: []string{"--host", "--print"}, check: func(o *options) bool { return o.print }},
		{name: "unknown hook mode", args: []string{"--host", "--print", "--hook-mode", "kprobe"}, wantErr: "unknown hook mode"},
		{name: "ring buffer must be a power of two", args: []string{"--host", "--print", "--ring-buffer-bytes", "1000"}, wantErr: "power of two"},
		{name: "an unknown log level is refused", args: []string{"--host", "--print", "--log-level", "verbose"}, wantErr: "--log-level"},
		{name: "log level from the environment", args: []string{"--host", "--print"}, env: map[string]string{"RUNWATCH_LOG_LEVEL": "debug"},
			check: func(o *options) bool { return o.level == slog.LevelDebug }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			o, err := parseFlags(c.args)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.check != nil && !c.check(o) {
				t.Errorf("options %+v", o)
			}
		})
	}
}
