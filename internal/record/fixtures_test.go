package record

import (
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// segmentsDir holds copies of real Kafka files; see its SOURCES.md.
const segmentsDir = "../../testdata/segments"

// fixture returns the bytes of a file under testdata/segments.
func fixture(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(segmentsDir, filepath.FromSlash(rel)))
	if err != nil {
		tb.Fatalf("read fixture: %v", err)
	}
	return b
}

// Fixture paths used by several tests.
const (
	fxLDIMetadata   = "kraft-broker-ldi-poc/__cluster_metadata-0/00000000000000000000.log"
	fxLDIOffsets    = "kraft-broker-ldi-poc/__consumer_offsets-6/00000000000000000000.log"
	fxLDIPatient    = "kraft-broker-ldi-poc/TestTopicPatient-0/00000000000000000000.log"
	fxLDIBootstrap  = "kraft-broker-ldi-poc/bootstrap.checkpoint"
	fxRonemMetadata = "kraft-broker-ronem123/__cluster_metadata-0/00000000000001725413.log"
	fxRonemSnapshot = "kraft-broker-ronem123/__cluster_metadata-0/00000000000001130557-0000000001.checkpoint"
	fxRonemBoot     = "kraft-broker-ronem123/bootstrap.checkpoint"
	fxRonemEmpty    = "kraft-broker-ronem123/topic_transactions-0/00000000000000000005.log"
	fxShinHeaders   = "zk-broker-shinhagunn/mytopic-0/00000000000000000000.log"
	fxVitor0        = "zk-broker-vitormoschetti/ECOMMERCE_NEW_ORDER-1/00000000000000000000.log"
	fxVitor47       = "zk-broker-vitormoschetti/ECOMMERCE_NEW_ORDER-1/00000000000000000047.log"
	fxVoloOffsets12 = "zk-broker-volodymyrzee/__consumer_offsets-12/00000000000000000000.log"
	fxVoloOffsets17 = "zk-broker-volodymyrzee/__consumer_offsets-17/00000000000000000000.log"
	fxVoloOffsets32 = "zk-broker-volodymyrzee/__consumer_offsets-32/00000000000000000000.log"
	fxVoloFirst0    = "zk-broker-volodymyrzee/first_topic-0/00000000000000000000.log"
	fxVoloFirst1    = "zk-broker-volodymyrzee/first_topic-1/00000000000000000000.log"
	fxVoloNew0      = "zk-broker-volodymyrzee/new_topic-0/00000000000000000000.log"
	fxCCGo          = "codecrafters-tester/codecrafters-kafka-go/00000000000000000000.log"
	fxCCGleam       = "codecrafters-tester/kafka-gleam/00000000000000000000.log"
	fxGoV1          = "wire-captures/kafka-go/v1-v1.records.log"
	fxGoMixed       = "wire-captures/kafka-go/v1-v1c-v2-v2c-v2b-v2b-v2b-v2bc-v1b-v1bc.records.log"
	fxGoV1cV1V1c    = "wire-captures/kafka-go/v1c-v1-v1c.records.log"
	fxGoV1cV1c      = "wire-captures/kafka-go/v1c-v1c.records.log"
	fxGoV2          = "wire-captures/kafka-go/v2-v2.records.log"
	fxGoV2bV1       = "wire-captures/kafka-go/v2b-v1.records.log"
	fxGoV2bcV1V1c   = "wire-captures/kafka-go/v2bc-v1-v1c.records.log"
	fxGoV2bcV1      = "wire-captures/kafka-go/v2bc-v1.records.log"
	fxGoV2bcV1c     = "wire-captures/kafka-go/v2bc-v1c.records.log"
	fxGoV2cV2V2c    = "wire-captures/kafka-go/v2c-v2-v2c.records.log"
	fxGoV2cV2c      = "wire-captures/kafka-go/v2c-v2c.records.log"
	fxRustGzip      = "wire-captures/kafka-rust/fetch1.mytopic.1p.gzip.kafka.0821.records.log"
	fxRustPlain     = "wire-captures/kafka-rust/fetch1.mytopic.1p.nocompression.kafka.0821.records.log"
	fxRustSnappy    = "wire-captures/kafka-rust/fetch1.mytopic.1p.snappy.kafka.0821.records.log"
	fxRustBadCRC    = "wire-captures/kafka-rust/fetch2.mytopic.nocompression.invalid_crc.kafka.0900.records.log"
	fxRustOne       = "wire-captures/kafka-rust/fetch2.mytopic.nocompression.kafka.0900.records.log"
)

// smallFixtures are the region files small enough to seed fuzz targets.
var smallFixtures = []string{
	fxLDIPatient, fxLDIBootstrap, fxRonemBoot, fxShinHeaders, fxVoloFirst0,
	fxVoloOffsets17, fxCCGo, fxGoV1, fxGoMixed, fxGoV1cV1V1c, fxGoV2cV2V2c,
	fxGoV2bcV1V1c, fxRustOne, fxRustBadCRC, fxRustGzip,
}

func crc32IEEE(b []byte) uint32 { return crc32.ChecksumIEEE(b) }
