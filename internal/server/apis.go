package server

// newAPITable returns the dispatch table: every API we serve, its version
// range and its handler. ApiVersions is built from this table.
func newAPITable() map[int16]api {
	return map[int16]api{
		18: {min: 0, max: 4, handle: typed(handleApiVersions)},
	}
}
