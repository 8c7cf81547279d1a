// Command dflix is the one binary of the platform. --target=all runs every
// service in one process on embedded adapters (disk-backed state, a durable
// in-process bus, local files), so nothing else needs to be installed;
// --target=<service> runs one service beside a Dapr sidecar. Which adapters a
// service gets is decided here and nowhere else.
//
//	dflix [--target=all] [--addr=:8080] [--data-dir=./data] [--seed-demo]
//	dflix admin create --email E --password P [--name N] [--data-dir=./data]
package main
