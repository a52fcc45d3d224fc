module github.com/runwatch/runwatch/agents

go 1.26.0

require (
	connectrpc.com/connect v1.21.1
	github.com/cilium/ebpf v0.22.0
)

require (
	golang.org/x/net v0.59.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace github.com/runwatch/runwatch => ../

tool github.com/cilium/ebpf/cmd/bpf2go
