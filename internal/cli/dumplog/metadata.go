package dumplog

import (
	"fmt"
	"math"
)

// metadataType is one KRaft metadata record type: Kafka's
// MetadataRecordType constant name and the record's schema.
type metadataType struct {
	name   string
	schema *msgSchema
}

// metadataTypes are the record types Kafka 3.9 knows, by api key.
var metadataTypes = map[uint32]metadataType{
	0:  {"REGISTER_BROKER_RECORD", schemaRegisterBrokerRecord},
	1:  {"UNREGISTER_BROKER_RECORD", schemaUnregisterBrokerRecord},
	2:  {"TOPIC_RECORD", schemaTopicRecord},
	3:  {"PARTITION_RECORD", schemaPartitionRecord},
	4:  {"CONFIG_RECORD", schemaConfigRecord},
	5:  {"PARTITION_CHANGE_RECORD", schemaPartitionChangeRecord},
	7:  {"FENCE_BROKER_RECORD", schemaFenceBrokerRecord},
	8:  {"UNFENCE_BROKER_RECORD", schemaUnfenceBrokerRecord},
	9:  {"REMOVE_TOPIC_RECORD", schemaRemoveTopicRecord},
	10: {"DELEGATION_TOKEN_RECORD", schemaDelegationTokenRecord},
	11: {"USER_SCRAM_CREDENTIAL_RECORD", schemaUserScramCredentialRecord},
	12: {"FEATURE_LEVEL_RECORD", schemaFeatureLevelRecord},
	14: {"CLIENT_QUOTA_RECORD", schemaClientQuotaRecord},
	15: {"PRODUCER_IDS_RECORD", schemaProducerIdsRecord},
	17: {"BROKER_REGISTRATION_CHANGE_RECORD", schemaBrokerRegistrationChangeRecord},
	18: {"ACCESS_CONTROL_ENTRY_RECORD", schemaAccessControlEntryRecord},
	19: {"REMOVE_ACCESS_CONTROL_ENTRY_RECORD", schemaRemoveAccessControlEntryRecord},
	20: {"NO_OP_RECORD", schemaNoOpRecord},
	21: {"ZK_MIGRATION_STATE_RECORD", schemaZkMigrationStateRecord},
	22: {"REMOVE_USER_SCRAM_CREDENTIAL_RECORD", schemaRemoveUserScramCredentialRecord},
	23: {"BEGIN_TRANSACTION_RECORD", schemaBeginTransactionRecord},
	24: {"END_TRANSACTION_RECORD", schemaEndTransactionRecord},
	25: {"ABORT_TRANSACTION_RECORD", schemaAbortTransactionRecord},
	26: {"REMOVE_DELEGATION_TOKEN_RECORD", schemaRemoveDelegationTokenRecord},
	27: {"REGISTER_CONTROLLER_RECORD", schemaRegisterControllerRecord},
}

// metadataFrameVersion is the only frame version of metadata record values.
const metadataFrameVersion = 1

// decodeMetadataRecord decodes the value of a __cluster_metadata record
// (frame version, api key and record version as unsigned varints, then the
// record) into the JSON line Kafka's --cluster-metadata-decoder prints. On
// failure it returns the message of the exception Kafka's serde raises.
func decodeMetadataRecord(value []byte) (string, error) {
	r := &msgReader{b: value}
	readShort := func(what string) (int16, error) {
		v, err := r.uvarint()
		if err != nil {
			return 0, fmt.Errorf("Error while reading %s", what)
		}
		if v > math.MaxInt16 {
			return 0, fmt.Errorf("Value for %s was too large.", what)
		}
		return int16(v), nil
	}
	frame, err := readShort("frame version")
	if err != nil {
		return "", err
	}
	switch {
	case frame == 0:
		return "", fmt.Errorf("Could not deserialize metadata record with frame version 0. " +
			"Note that upgrades from the preview release of KRaft in 2.8 to newer versions are not supported.")
	case frame != metadataFrameVersion:
		return "", fmt.Errorf("Could not deserialize metadata record due to unknown frame version %d(only frame version %d is supported)",
			frame, metadataFrameVersion)
	}
	apiKey, err := readShort("type")
	if err != nil {
		return "", err
	}
	version, err := readShort("version")
	if err != nil {
		return "", err
	}
	mt, ok := metadataTypes[uint32(apiKey)]
	if !ok {
		return "", fmt.Errorf("org.apache.kafka.common.errors.UnsupportedVersionException: Unknown metadata id %d", apiKey)
	}
	data, n, err := mt.schema.decode(value[r.off:], version)
	if err != nil {
		return "", fmt.Errorf("Failed to deserialize record with type %d", apiKey)
	}
	if rest := len(value) - r.off - n; rest > 0 {
		return "", fmt.Errorf("Found %d byte(s) of garbage after %d", rest, apiKey)
	}
	o := &jobj{}
	o.set("type", mt.name)
	o.set("version", int64(version))
	o.set("data", data)
	return jsonString(o), nil
}
