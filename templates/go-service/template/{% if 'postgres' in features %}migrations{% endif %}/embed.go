// Package migrations embeds the service's SQL migrations (goose format:
// NNNNN_name.sql with -- +goose Up and -- +goose Down sections). Add a file
// per schema change; never edit one that has been applied in production.
//
// Apply them with `<service> migrate up|down|status` (make migrate), or at
// start-up with data.postgres.migrate_on_start: true.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed *.sql
var files embed.FS

// FS returns the embedded migrations.
func FS() fs.FS { return files }
