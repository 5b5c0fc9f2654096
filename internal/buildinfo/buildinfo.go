// Package buildinfo reports the version of the binaries. Release builds set
// Version through the linker (-X); development builds fall back to the module
// version recorded by the Go toolchain.
package buildinfo

import "runtime/debug"

// Version is set at link time by release builds:
//
//	-ldflags "-X github.com/kafkakit/kafkakit/internal/buildinfo.Version=1.2.3"
var Version = ""

// String returns the version to print for --version.
func String() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
