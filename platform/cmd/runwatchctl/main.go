// Command runwatchctl is the command-line client of the Runwatch platform:
// it manages registration tokens and reads the inventory and runtime
// records, as tables for people or JSON for scripts.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program, so tests can call it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cli := &cli{in: stdin, out: stdout, errw: stderr}
	if err := cli.dispatch(ctx, args); err != nil {
		fmt.Fprintln(stderr, "runwatchctl:", err)
		return 1
	}
	return 0
}
