package replica

import "slices"

// FetcherSources returns the brokers this manager runs a fetcher for, in
// order.
func (m *Manager) FetcherSources() []int32 {
	m.fetchMu.Lock()
	defer m.fetchMu.Unlock()
	var out []int32
	for id := range m.fetchers {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
