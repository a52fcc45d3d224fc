// Package ports holds the interfaces between Runwatch's core and the world.
//
// Driven ports (store.go) are what the application needs from technology:
// storage and a clock; adapters implement them. Driving ports (usecases.go)
// are what the application offers; the API adapters call them. Each
// interface has one concern, so a test or a new adapter needs only the part
// it touches.
package ports
