package group

import "strings"

// groupState is a classic group's state, with Kafka's names and transitions:
//
//	Empty               --first join-->                        PreparingRebalance
//	PreparingRebalance  --join phase done, members left-->     CompletingRebalance
//	PreparingRebalance  --join phase done, nobody left-->      Empty
//	CompletingRebalance --leader's assignment stored-->        Stable
//	CompletingRebalance --join, leave, failure, sync timeout-->PreparingRebalance
//	Stable              --join, leave, failure-->              PreparingRebalance
//	any                 --deleted, expired or unloaded-->      Dead
type groupState int8

const (
	stateEmpty groupState = iota
	statePreparingRebalance
	stateCompletingRebalance
	stateStable
	stateDead
)

// stateNames are the names Kafka prints and matches in ListGroups filters
// and DescribeGroups (GroupState.toString).
var stateNames = [...]string{
	stateEmpty:               "Empty",
	statePreparingRebalance:  "PreparingRebalance",
	stateCompletingRebalance: "CompletingRebalance",
	stateStable:              "Stable",
	stateDead:                "Dead",
}

func (s groupState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "Unknown"
}

// canTransition reports whether Kafka allows moving from s to next.
func (s groupState) canTransition(next groupState) bool {
	switch next {
	case statePreparingRebalance:
		return s == stateStable || s == stateCompletingRebalance || s == stateEmpty
	case stateCompletingRebalance:
		return s == statePreparingRebalance
	case stateStable:
		return s == stateCompletingRebalance
	case stateEmpty:
		return s == statePreparingRebalance
	case stateDead:
		return true
	}
	return false
}

// matchesFilter reports whether the state is named in a ListGroups states
// filter; Kafka compares case-insensitively.
func (s groupState) matchesFilter(filter []string) bool {
	for _, f := range filter {
		if strings.EqualFold(f, s.String()) {
			return true
		}
	}
	return false
}
