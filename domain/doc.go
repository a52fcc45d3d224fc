// Package domain is Runwatch's pure core: the vocabulary of what runs in a
// cluster and the rules that join it. It imports only the standard library;
// CI checks that with go list -deps.
//
// The subpackages hold one concern each:
//   - inventory: clusters, nodes, workloads, pods and containers as the
//     controller reports them, and the status rules for agents;
//   - runtime: process executions and file loads as the sensor reports
//     them, and how records of the same key aggregate;
//   - query: filters, time windows and pagination ordering;
//   - access: registration tokens and the principals that call the API.
//
// This package holds the error kinds every layer maps to its own protocol.
package domain
