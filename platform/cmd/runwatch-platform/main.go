// Command runwatch-platform runs the Runwatch platform: ingest from
// controllers and sensors, storage, the query and admin APIs and the UI,
// on one port.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/runwatch/runwatch/platform"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "runwatch-platform:", err)
		os.Exit(1)
	}
}

func run() error {
	var cfg platform.Config
	fs := flag.NewFlagSet("runwatch-platform", flag.ContinueOnError)
	cfg.BindFlags(fs)
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *showVersion {
		fmt.Println(version)
		return nil
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log, err := cfg.Logger()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	p, cleanup, err := platform.Build(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer cleanup()
	addr, err := p.Server.Listen()
	if err != nil {
		return err
	}
	log.Info("runwatch platform serving", "version", version, "addr", addr, "url", p.Server.URL(), "database", p.Store.Dialect())
	if err := p.Run(ctx); err != nil {
		return err
	}
	log.Info("runwatch platform stopped")
	return nil
}
