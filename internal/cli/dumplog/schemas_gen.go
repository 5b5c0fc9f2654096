// Code generated from the Apache Kafka 3.9 message schemas (field names, types and
// versions only). DO NOT EDIT.

package dumplog

var schemaAbortTransactionRecord = &msgSchema{name: "AbortTransactionRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "reason", kind: tString, versions: vFrom(0), nullable: vFrom(0), tagged: vFrom(0), tag: 0, def: "null"},
}}

var schemaAccessControlEntryRecord = &msgSchema{name: "AccessControlEntryRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "id", kind: tUUID, versions: vFrom(0)},
	{name: "resourceType", kind: tInt8, versions: vFrom(0)},
	{name: "resourceName", kind: tString, versions: vFrom(0)},
	{name: "patternType", kind: tInt8, versions: vFrom(0)},
	{name: "principal", kind: tString, versions: vFrom(0)},
	{name: "host", kind: tString, versions: vFrom(0)},
	{name: "operation", kind: tInt8, versions: vFrom(0)},
	{name: "permissionType", kind: tInt8, versions: vFrom(0)},
}}

var schemaBeginTransactionRecord = &msgSchema{name: "BeginTransactionRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "name", kind: tString, versions: vFrom(0), nullable: vFrom(0), tagged: vFrom(0), tag: 0, def: "null"},
}}

var schemaBrokerRegistrationChangeRecord = &msgSchema{name: "BrokerRegistrationChangeRecord", valid: vRange(0, 2), flexible: vFrom(0), fields: []*msgField{
	{name: "brokerId", kind: tInt32, versions: vFrom(0)},
	{name: "brokerEpoch", kind: tInt64, versions: vFrom(0)},
	{name: "fenced", kind: tInt8, versions: vFrom(0), tagged: vFrom(0), tag: 0},
	{name: "inControlledShutdown", kind: tInt8, versions: vFrom(1), tagged: vFrom(1), tag: 1},
	{name: "logDirs", kind: tUUID, array: true, versions: vFrom(2), tagged: vFrom(2), tag: 2},
}}

var schemaClientQuotaRecord = &msgSchema{name: "ClientQuotaRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "entity", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "entityType", kind: tString, versions: vFrom(0)},
		{name: "entityName", kind: tString, versions: vFrom(0), nullable: vFrom(0)},
	}},
	{name: "key", kind: tString, versions: vFrom(0)},
	{name: "value", kind: tFloat64, versions: vFrom(0)},
	{name: "remove", kind: tBool, versions: vFrom(0)},
}}

var schemaConfigRecord = &msgSchema{name: "ConfigRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "resourceType", kind: tInt8, versions: vFrom(0)},
	{name: "resourceName", kind: tString, versions: vFrom(0)},
	{name: "name", kind: tString, versions: vFrom(0)},
	{name: "value", kind: tString, versions: vFrom(0), nullable: vFrom(0)},
}}

var schemaConsumerGroupCurrentMemberAssignmentKey = &msgSchema{name: "ConsumerGroupCurrentMemberAssignmentKey", valid: vRange(8, 8), flexible: vNone, fields: []*msgField{
	{name: "groupId", kind: tString, versions: vRange(8, 8)},
	{name: "memberId", kind: tString, versions: vRange(8, 8)},
}}

var schemaConsumerGroupCurrentMemberAssignmentValue = &msgSchema{name: "ConsumerGroupCurrentMemberAssignmentValue", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "memberEpoch", kind: tInt32, versions: vFrom(0)},
	{name: "previousMemberEpoch", kind: tInt32, versions: vFrom(0)},
	{name: "state", kind: tInt8, versions: vFrom(0)},
	{name: "assignedPartitions", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "topicId", kind: tUUID, versions: vFrom(0)},
		{name: "partitions", kind: tInt32, array: true, versions: vFrom(0)},
	}},
	{name: "partitionsPendingRevocation", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "topicId", kind: tUUID, versions: vFrom(0)},
		{name: "partitions", kind: tInt32, array: true, versions: vFrom(0)},
	}},
}}

var schemaConsumerGroupMemberMetadataKey = &msgSchema{name: "ConsumerGroupMemberMetadataKey", valid: vRange(5, 5), flexible: vNone, fields: []*msgField{
	{name: "groupId", kind: tString, versions: vRange(5, 5)},
	{name: "memberId", kind: tString, versions: vRange(5, 5)},
}}

var schemaConsumerGroupMemberMetadataValue = &msgSchema{name: "ConsumerGroupMemberMetadataValue", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "instanceId", kind: tString, versions: vFrom(0), nullable: vFrom(0)},
	{name: "rackId", kind: tString, versions: vFrom(0), nullable: vFrom(0)},
	{name: "clientId", kind: tString, versions: vFrom(0)},
	{name: "clientHost", kind: tString, versions: vFrom(0)},
	{name: "subscribedTopicNames", kind: tString, array: true, versions: vFrom(0)},
	{name: "subscribedTopicRegex", kind: tString, versions: vFrom(0), nullable: vFrom(0)},
	{name: "rebalanceTimeoutMs", kind: tInt32, versions: vFrom(0), def: "-1"},
	{name: "serverAssignor", kind: tString, versions: vFrom(0), nullable: vFrom(0)},
	{name: "classicMemberMetadata", kind: tStruct, versions: vFrom(0), nullable: vFrom(0), tagged: vFrom(0), tag: 0, def: "None", fields: []*msgField{
		{name: "sessionTimeoutMs", kind: tInt32, versions: vFrom(0)},
		{name: "supportedProtocols", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
			{name: "name", kind: tString, versions: vFrom(0)},
			{name: "metadata", kind: tBytes, versions: vFrom(0)},
		}},
	}},
}}

var schemaConsumerGroupMetadataKey = &msgSchema{name: "ConsumerGroupMetadataKey", valid: vRange(3, 3), flexible: vNone, fields: []*msgField{
	{name: "groupId", kind: tString, versions: vRange(3, 3)},
}}

var schemaConsumerGroupMetadataValue = &msgSchema{name: "ConsumerGroupMetadataValue", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "epoch", kind: tInt32, versions: vFrom(0)},
}}

var schemaConsumerGroupPartitionMetadataKey = &msgSchema{name: "ConsumerGroupPartitionMetadataKey", valid: vRange(4, 4), flexible: vNone, fields: []*msgField{
	{name: "groupId", kind: tString, versions: vRange(4, 4)},
}}

var schemaConsumerGroupPartitionMetadataValue = &msgSchema{name: "ConsumerGroupPartitionMetadataValue", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "topics", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "topicId", kind: tUUID, versions: vFrom(0)},
		{name: "topicName", kind: tString, versions: vFrom(0)},
		{name: "numPartitions", kind: tInt32, versions: vFrom(0)},
		{name: "partitionMetadata", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
			{name: "partition", kind: tInt32, versions: vFrom(0)},
			{name: "racks", kind: tString, array: true, versions: vFrom(0)},
		}},
	}},
}}

var schemaConsumerGroupTargetAssignmentMemberKey = &msgSchema{name: "ConsumerGroupTargetAssignmentMemberKey", valid: vRange(7, 7), flexible: vNone, fields: []*msgField{
	{name: "groupId", kind: tString, versions: vRange(7, 7)},
	{name: "memberId", kind: tString, versions: vRange(7, 7)},
}}

var schemaConsumerGroupTargetAssignmentMemberValue = &msgSchema{name: "ConsumerGroupTargetAssignmentMemberValue", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "topicPartitions", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "topicId", kind: tUUID, versions: vFrom(0)},
		{name: "partitions", kind: tInt32, array: true, versions: vFrom(0)},
	}},
}}

var schemaConsumerGroupTargetAssignmentMetadataKey = &msgSchema{name: "ConsumerGroupTargetAssignmentMetadataKey", valid: vRange(6, 6), flexible: vNone, fields: []*msgField{
	{name: "groupId", kind: tString, versions: vRange(6, 6)},
}}

var schemaConsumerGroupTargetAssignmentMetadataValue = &msgSchema{name: "ConsumerGroupTargetAssignmentMetadataValue", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "assignmentEpoch", kind: tInt32, versions: vFrom(0)},
}}

var schemaConsumerProtocolAssignment = &msgSchema{name: "ConsumerProtocolAssignment", valid: vRange(0, 3), flexible: vNone, fields: []*msgField{
	{name: "assignedPartitions", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "topic", kind: tString, versions: vFrom(0)},
		{name: "partitions", kind: tInt32, array: true, versions: vFrom(0)},
	}},
	{name: "userData", kind: tBytes, versions: vFrom(0), nullable: vFrom(0), def: "null"},
}}

var schemaConsumerProtocolSubscription = &msgSchema{name: "ConsumerProtocolSubscription", valid: vRange(0, 3), flexible: vNone, fields: []*msgField{
	{name: "topics", kind: tString, array: true, versions: vFrom(0)},
	{name: "userData", kind: tBytes, versions: vFrom(0), nullable: vFrom(0), def: "null"},
	{name: "ownedPartitions", kind: tStruct, array: true, versions: vFrom(1), fields: []*msgField{
		{name: "topic", kind: tString, versions: vFrom(1)},
		{name: "partitions", kind: tInt32, array: true, versions: vFrom(1)},
	}},
	{name: "generationId", kind: tInt32, versions: vFrom(2), def: "-1"},
	{name: "rackId", kind: tString, versions: vFrom(3), nullable: vFrom(3), def: "null"},
}}

var schemaDelegationTokenRecord = &msgSchema{name: "DelegationTokenRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "owner", kind: tString, versions: vFrom(0)},
	{name: "requester", kind: tString, versions: vFrom(0)},
	{name: "renewers", kind: tString, array: true, versions: vFrom(0)},
	{name: "issueTimestamp", kind: tInt64, versions: vFrom(0)},
	{name: "maxTimestamp", kind: tInt64, versions: vFrom(0)},
	{name: "expirationTimestamp", kind: tInt64, versions: vFrom(0)},
	{name: "tokenId", kind: tString, versions: vFrom(0)},
}}

var schemaEndTransactionRecord = &msgSchema{name: "EndTransactionRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{}}

var schemaFeatureLevelRecord = &msgSchema{name: "FeatureLevelRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "name", kind: tString, versions: vFrom(0)},
	{name: "featureLevel", kind: tInt16, versions: vFrom(0)},
}}

var schemaFenceBrokerRecord = &msgSchema{name: "FenceBrokerRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "id", kind: tInt32, versions: vFrom(0)},
	{name: "epoch", kind: tInt64, versions: vFrom(0)},
}}

var schemaGroupMetadataKey = &msgSchema{name: "GroupMetadataKey", valid: vRange(2, 2), flexible: vNone, fields: []*msgField{
	{name: "group", kind: tString, versions: vRange(2, 2)},
}}

var schemaGroupMetadataValue = &msgSchema{name: "GroupMetadataValue", valid: vRange(0, 4), flexible: vFrom(4), fields: []*msgField{
	{name: "protocolType", kind: tString, versions: vFrom(0)},
	{name: "generation", kind: tInt32, versions: vFrom(0)},
	{name: "protocol", kind: tString, versions: vFrom(0), nullable: vFrom(0)},
	{name: "leader", kind: tString, versions: vFrom(0), nullable: vFrom(0)},
	{name: "currentStateTimestamp", kind: tInt64, versions: vFrom(2), def: "-1"},
	{name: "members", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "memberId", kind: tString, versions: vFrom(0)},
		{name: "groupInstanceId", kind: tString, versions: vFrom(3), nullable: vFrom(3), def: "null"},
		{name: "clientId", kind: tString, versions: vFrom(0)},
		{name: "clientHost", kind: tString, versions: vFrom(0)},
		{name: "rebalanceTimeout", kind: tInt32, versions: vFrom(1), def: "-1"},
		{name: "sessionTimeout", kind: tInt32, versions: vFrom(0)},
		{name: "subscription", kind: tBytes, versions: vFrom(0)},
		{name: "assignment", kind: tBytes, versions: vFrom(0)},
	}},
}}

var schemaKRaftVersionRecord = &msgSchema{name: "KRaftVersionRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "version", kind: tInt16, versions: vFrom(0)},
	{name: "kRaftVersion", kind: tInt16, versions: vFrom(0)},
}}

var schemaLeaderChangeMessage = &msgSchema{name: "LeaderChangeMessage", valid: vRange(0, 1), flexible: vFrom(0), fields: []*msgField{
	{name: "version", kind: tInt16, versions: vFrom(0)},
	{name: "leaderId", kind: tInt32, versions: vFrom(0)},
	{name: "voters", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "voterId", kind: tInt32, versions: vFrom(0)},
		{name: "voterDirectoryId", kind: tUUID, versions: vFrom(1)},
	}},
	{name: "grantingVoters", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "voterId", kind: tInt32, versions: vFrom(0)},
		{name: "voterDirectoryId", kind: tUUID, versions: vFrom(1)},
	}},
}}

var schemaNoOpRecord = &msgSchema{name: "NoOpRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{}}

var schemaOffsetCommitKey = &msgSchema{name: "OffsetCommitKey", valid: vRange(0, 1), flexible: vNone, fields: []*msgField{
	{name: "group", kind: tString, versions: vRange(0, 1)},
	{name: "topic", kind: tString, versions: vRange(0, 1)},
	{name: "partition", kind: tInt32, versions: vRange(0, 1)},
}}

var schemaOffsetCommitValue = &msgSchema{name: "OffsetCommitValue", valid: vRange(0, 4), flexible: vFrom(4), fields: []*msgField{
	{name: "offset", kind: tInt64, versions: vFrom(0)},
	{name: "leaderEpoch", kind: tInt32, versions: vFrom(3), def: "-1"},
	{name: "metadata", kind: tString, versions: vFrom(0)},
	{name: "commitTimestamp", kind: tInt64, versions: vFrom(0)},
	{name: "expireTimestamp", kind: tInt64, versions: vRange(1, 1), def: "-1"},
}}

var schemaPartitionChangeRecord = &msgSchema{name: "PartitionChangeRecord", valid: vRange(0, 2), flexible: vFrom(0), fields: []*msgField{
	{name: "partitionId", kind: tInt32, versions: vFrom(0), def: "-1"},
	{name: "topicId", kind: tUUID, versions: vFrom(0)},
	{name: "isr", kind: tInt32, array: true, versions: vFrom(0), nullable: vFrom(0), tagged: vFrom(0), tag: 0, def: "null"},
	{name: "leader", kind: tInt32, versions: vFrom(0), tagged: vFrom(0), tag: 1, def: "-2"},
	{name: "replicas", kind: tInt32, array: true, versions: vFrom(0), nullable: vFrom(0), tagged: vFrom(0), tag: 2, def: "null"},
	{name: "removingReplicas", kind: tInt32, array: true, versions: vFrom(0), nullable: vFrom(0), tagged: vFrom(0), tag: 3, def: "null"},
	{name: "addingReplicas", kind: tInt32, array: true, versions: vFrom(0), nullable: vFrom(0), tagged: vFrom(0), tag: 4, def: "null"},
	{name: "leaderRecoveryState", kind: tInt8, versions: vFrom(0), tagged: vFrom(0), tag: 5, def: "-1"},
	{name: "directories", kind: tUUID, array: true, versions: vFrom(1), nullable: vFrom(1), tagged: vFrom(1), tag: 8, def: "null"},
	{name: "eligibleLeaderReplicas", kind: tInt32, array: true, versions: vFrom(2), nullable: vFrom(2), tagged: vFrom(2), tag: 6, def: "null"},
	{name: "lastKnownElr", kind: tInt32, array: true, versions: vFrom(2), nullable: vFrom(2), tagged: vFrom(2), tag: 7, def: "null"},
}}

var schemaPartitionRecord = &msgSchema{name: "PartitionRecord", valid: vRange(0, 2), flexible: vFrom(0), fields: []*msgField{
	{name: "partitionId", kind: tInt32, versions: vFrom(0), def: "-1"},
	{name: "topicId", kind: tUUID, versions: vFrom(0)},
	{name: "replicas", kind: tInt32, array: true, versions: vFrom(0)},
	{name: "isr", kind: tInt32, array: true, versions: vFrom(0)},
	{name: "removingReplicas", kind: tInt32, array: true, versions: vFrom(0)},
	{name: "addingReplicas", kind: tInt32, array: true, versions: vFrom(0)},
	{name: "leader", kind: tInt32, versions: vFrom(0), def: "-1"},
	{name: "leaderRecoveryState", kind: tInt8, versions: vFrom(0), tagged: vFrom(0), tag: 0, def: "0"},
	{name: "leaderEpoch", kind: tInt32, versions: vFrom(0), def: "-1"},
	{name: "partitionEpoch", kind: tInt32, versions: vFrom(0), def: "-1"},
	{name: "directories", kind: tUUID, array: true, versions: vFrom(1)},
	{name: "eligibleLeaderReplicas", kind: tInt32, array: true, versions: vFrom(2), nullable: vFrom(2), tagged: vFrom(2), tag: 1, def: "null"},
	{name: "lastKnownElr", kind: tInt32, array: true, versions: vFrom(2), nullable: vFrom(2), tagged: vFrom(2), tag: 2, def: "null"},
}}

var schemaProducerIdsRecord = &msgSchema{name: "ProducerIdsRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "brokerId", kind: tInt32, versions: vFrom(0)},
	{name: "brokerEpoch", kind: tInt64, versions: vFrom(0), def: "-1"},
	{name: "nextProducerId", kind: tInt64, versions: vFrom(0)},
}}

var schemaRegisterBrokerRecord = &msgSchema{name: "RegisterBrokerRecord", valid: vRange(0, 3), flexible: vFrom(0), fields: []*msgField{
	{name: "brokerId", kind: tInt32, versions: vFrom(0)},
	{name: "isMigratingZkBroker", kind: tBool, versions: vFrom(2), def: "false"},
	{name: "incarnationId", kind: tUUID, versions: vFrom(0)},
	{name: "brokerEpoch", kind: tInt64, versions: vFrom(0)},
	{name: "endPoints", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "name", kind: tString, versions: vFrom(0)},
		{name: "host", kind: tString, versions: vFrom(0)},
		{name: "port", kind: tUint16, versions: vFrom(0)},
		{name: "securityProtocol", kind: tInt16, versions: vFrom(0)},
	}},
	{name: "features", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "name", kind: tString, versions: vFrom(0)},
		{name: "minSupportedVersion", kind: tInt16, versions: vFrom(0)},
		{name: "maxSupportedVersion", kind: tInt16, versions: vFrom(0)},
	}},
	{name: "rack", kind: tString, versions: vFrom(0), nullable: vFrom(0)},
	{name: "fenced", kind: tBool, versions: vFrom(0), def: "true"},
	{name: "inControlledShutdown", kind: tBool, versions: vFrom(1), def: "false"},
	{name: "logDirs", kind: tUUID, array: true, versions: vFrom(3), tagged: vFrom(3), tag: 0},
}}

var schemaRegisterControllerRecord = &msgSchema{name: "RegisterControllerRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "controllerId", kind: tInt32, versions: vFrom(0)},
	{name: "incarnationId", kind: tUUID, versions: vFrom(0)},
	{name: "zkMigrationReady", kind: tBool, versions: vFrom(0)},
	{name: "endPoints", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "name", kind: tString, versions: vFrom(0)},
		{name: "host", kind: tString, versions: vFrom(0)},
		{name: "port", kind: tUint16, versions: vFrom(0)},
		{name: "securityProtocol", kind: tInt16, versions: vFrom(0)},
	}},
	{name: "features", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "name", kind: tString, versions: vFrom(0)},
		{name: "minSupportedVersion", kind: tInt16, versions: vFrom(0)},
		{name: "maxSupportedVersion", kind: tInt16, versions: vFrom(0)},
	}},
}}

var schemaRemoveAccessControlEntryRecord = &msgSchema{name: "RemoveAccessControlEntryRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "id", kind: tUUID, versions: vFrom(0)},
}}

var schemaRemoveDelegationTokenRecord = &msgSchema{name: "RemoveDelegationTokenRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "tokenId", kind: tString, versions: vFrom(0)},
}}

var schemaRemoveTopicRecord = &msgSchema{name: "RemoveTopicRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "topicId", kind: tUUID, versions: vFrom(0)},
}}

var schemaRemoveUserScramCredentialRecord = &msgSchema{name: "RemoveUserScramCredentialRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "name", kind: tString, versions: vFrom(0)},
	{name: "mechanism", kind: tInt8, versions: vFrom(0)},
}}

var schemaSnapshotFooterRecord = &msgSchema{name: "SnapshotFooterRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "version", kind: tInt16, versions: vFrom(0)},
}}

var schemaSnapshotHeaderRecord = &msgSchema{name: "SnapshotHeaderRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "version", kind: tInt16, versions: vFrom(0)},
	{name: "lastContainedLogTimestamp", kind: tInt64, versions: vFrom(0)},
}}

var schemaTopicRecord = &msgSchema{name: "TopicRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "name", kind: tString, versions: vFrom(0)},
	{name: "topicId", kind: tUUID, versions: vFrom(0)},
}}

var schemaTransactionLogKey = &msgSchema{name: "TransactionLogKey", valid: vRange(0, 0), flexible: vNone, fields: []*msgField{
	{name: "transactionalId", kind: tString, versions: vRange(0, 0)},
}}

var schemaTransactionLogValue = &msgSchema{name: "TransactionLogValue", valid: vRange(0, 1), flexible: vFrom(1), fields: []*msgField{
	{name: "producerId", kind: tInt64, versions: vFrom(0)},
	{name: "producerEpoch", kind: tInt16, versions: vFrom(0)},
	{name: "transactionTimeoutMs", kind: tInt32, versions: vFrom(0)},
	{name: "transactionStatus", kind: tInt8, versions: vFrom(0)},
	{name: "transactionPartitions", kind: tStruct, array: true, versions: vFrom(0), nullable: vFrom(0), fields: []*msgField{
		{name: "topic", kind: tString, versions: vFrom(0)},
		{name: "partitionIds", kind: tInt32, array: true, versions: vFrom(0)},
	}},
	{name: "transactionLastUpdateTimestampMs", kind: tInt64, versions: vFrom(0)},
	{name: "transactionStartTimestampMs", kind: tInt64, versions: vFrom(0)},
}}

var schemaUnfenceBrokerRecord = &msgSchema{name: "UnfenceBrokerRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "id", kind: tInt32, versions: vFrom(0)},
	{name: "epoch", kind: tInt64, versions: vFrom(0)},
}}

var schemaUnregisterBrokerRecord = &msgSchema{name: "UnregisterBrokerRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "brokerId", kind: tInt32, versions: vFrom(0)},
	{name: "brokerEpoch", kind: tInt64, versions: vFrom(0)},
}}

var schemaUserScramCredentialRecord = &msgSchema{name: "UserScramCredentialRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "name", kind: tString, versions: vFrom(0)},
	{name: "mechanism", kind: tInt8, versions: vFrom(0)},
	{name: "salt", kind: tBytes, versions: vFrom(0)},
	{name: "storedKey", kind: tBytes, versions: vFrom(0)},
	{name: "serverKey", kind: tBytes, versions: vFrom(0)},
	{name: "iterations", kind: tInt32, versions: vFrom(0)},
}}

var schemaVotersRecord = &msgSchema{name: "VotersRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "version", kind: tInt16, versions: vFrom(0)},
	{name: "voters", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
		{name: "voterId", kind: tInt32, versions: vFrom(0)},
		{name: "voterDirectoryId", kind: tUUID, versions: vFrom(0)},
		{name: "endpoints", kind: tStruct, array: true, versions: vFrom(0), fields: []*msgField{
			{name: "name", kind: tString, versions: vFrom(0)},
			{name: "host", kind: tString, versions: vFrom(0)},
			{name: "port", kind: tUint16, versions: vFrom(0)},
		}},
		{name: "kRaftVersionFeature", kind: tStruct, versions: vFrom(0), fields: []*msgField{
			{name: "minSupportedVersion", kind: tInt16, versions: vFrom(0)},
			{name: "maxSupportedVersion", kind: tInt16, versions: vFrom(0)},
		}},
	}},
}}

var schemaZkMigrationStateRecord = &msgSchema{name: "ZkMigrationStateRecord", valid: vRange(0, 0), flexible: vFrom(0), fields: []*msgField{
	{name: "zkMigrationState", kind: tInt8, versions: vFrom(0)},
}}
