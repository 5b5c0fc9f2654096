package server

// newAPITable returns the dispatch table: every API we serve, its version
// range and its handler. ApiVersions is built from this table.
func newAPITable() map[int16]api {
	return map[int16]api{
		0:  {min: 0, max: 11, handle: typed(handleProduce)},
		1:  {min: 4, max: 17, handle: typed(handleFetch)},
		2:  {min: 0, max: 9, handle: typed(handleListOffsets)},
		3:  {min: 0, max: 12, handle: typed(handleMetadata)},
		8:  {min: 0, max: 9, handle: typed(handleOffsetCommit)},
		9:  {min: 0, max: 9, handle: typed(handleOffsetFetch)},
		10: {min: 0, max: 6, handle: typed(handleFindCoordinator)},
		11: {min: 0, max: 9, handle: typed(handleJoinGroup)},
		12: {min: 0, max: 4, handle: typed(handleHeartbeat)},
		13: {min: 0, max: 5, handle: typed(handleLeaveGroup)},
		14: {min: 0, max: 5, handle: typed(handleSyncGroup)},
		15: {min: 0, max: 5, handle: typed(handleDescribeGroups)},
		16: {min: 0, max: 5, handle: typed(handleListGroups)},
		18: {min: 0, max: 4, handle: typed(handleApiVersions)},
		19: {min: 0, max: 7, handle: typed(handleCreateTopics)},
		20: {min: 0, max: 6, handle: typed(handleDeleteTopics)},
		21: {min: 0, max: 2, handle: typed(handleDeleteRecords)},
		22: {min: 0, max: 5, handle: typed(handleInitProducerID)},
		23: {min: 0, max: 4, handle: typed(handleOffsetForLeaderEpoch)},
		32: {min: 0, max: 4, handle: typed(handleDescribeConfigs)},
		33: {min: 0, max: 2, handle: typed(handleAlterConfigs)},
		35: {min: 0, max: 4, handle: typed(handleDescribeLogDirs)},
		37: {min: 0, max: 3, handle: typed(handleCreatePartitions)},
		42: {min: 0, max: 2, handle: typed(handleDeleteGroups)},
		43: {min: 0, max: 2, handle: typed(handleElectLeaders)},
		44: {min: 0, max: 1, handle: typed(handleIncrementalAlterConfigs)},
		45: {min: 0, max: 0, handle: typed(handleAlterPartitionReassignments)},
		46: {min: 0, max: 0, handle: typed(handleListPartitionReassignments)},
		47: {min: 0, max: 0, handle: typed(handleOffsetDelete)},
		48: {min: 0, max: 1, handle: typed(handleDescribeClientQuotas)},
		49: {min: 0, max: 1, handle: typed(handleAlterClientQuotas)},
		60: {min: 0, max: 1, handle: typed(handleDescribeCluster)},
		75: {min: 0, max: 0, handle: typed(handleDescribeTopicPartitions)},
	}
}
