//go:build wireinject

package platform

import (
	"context"
	"log/slog"

	"github.com/google/wire"
)

// build is the injector wire generates Build from.
func build(ctx context.Context, cfg *Config, log *slog.Logger) (*Platform, func(), error) {
	panic(wire.Build(providers))
}
