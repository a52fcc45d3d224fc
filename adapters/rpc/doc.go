// Package rpc serves the runwatch.v1 API with connect-go: every service
// speaks gRPC, gRPC-Web and the Connect protocol. It authenticates and
// authorises each call, converts between protobuf and the domain, maps
// domain errors to Connect codes, and counts what it serves.
package rpc
