// Package configs holds the end-to-end tests of kafka-configs' live
// effects: each test changes topic or broker configs with the tool on a
// running kafka-server and checks what the change does to produce, fetch
// and the files on disk, using franz-go as an independent client. Dynamic
// configs surviving a restart are checked against the kafka-server binary
// run as a separate process.
package configs
