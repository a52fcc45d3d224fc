package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

func TestFlagsFromEnvironment(t *testing.T) {
	t.Setenv("RUNWATCH_PLATFORM", "https://runwatch.example.com")
	t.Setenv("RUNWATCH_TOKEN", "tok")
	t.Setenv("RUNWATCH_CLUSTER_NAME", "prod")
	t.Setenv("RUNWATCH_BATCH_DELAY", "1s")
	t.Setenv("RUNWATCH_MAX_BATCH_OBJECTS", "100")
	o, err := parseFlags([]string{"--cluster-name", "staging"})
	if err != nil {
		t.Fatal(err)
	}
	if o.platform.PlatformURL != "https://runwatch.example.com" || o.platform.Token != "tok" || o.clusterName != "staging" ||
		o.ctl.BatchDelay != time.Second || o.ctl.MaxBatchObjects != 100 || o.listen != ":9090" {
		t.Fatalf("options = %+v", o)
	}
}

func TestBadConfigurationFailsClearly(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"malformed duration in the environment", map[string]string{"RUNWATCH_BATCH_DELAY": "soon"}, nil, "RUNWATCH_BATCH_DELAY"},
		{"malformed integer in the environment", map[string]string{"RUNWATCH_MAX_PENDING": "many"}, nil, "RUNWATCH_MAX_PENDING"},
		{"stray argument", nil, []string{"extra"}, "unexpected arguments"},
		{"no platform", nil, nil, "platform URL is required"},
		{"no token", nil, []string{"--platform", "https://x.example"}, "registration token is required"},
		{"bad scheme", nil, []string{"--platform", "ftp://x.example", "--token", "t"}, "scheme must be http or https"},
		{"bad log level", nil, []string{"--log-level", "loud"}, "--log-level"},
		{"bad log format", nil, []string{"--log-format", "xml"}, "--log-format"},
		{"missing kubeconfig", nil, []string{"--platform", "http://127.0.0.1:1", "--token", "t", "--kubeconfig", "/nonexistent/kubeconfig"}, "kubeconfig /nonexistent/kubeconfig"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"RUNWATCH_PLATFORM", "RUNWATCH_TOKEN", "RUNWATCH_KUBECONFIG"} {
				t.Setenv(k, "")
			}
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			err := run(context.Background(), tc.args, os.Stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run(%v) = %v, want an error mentioning %q", tc.args, err, tc.want)
			}
		})
	}
}
