//go:build race

package dag

// The race detector slows rule evaluation twentyfold; long-chain tests
// use a shorter chain under it (depth is handled by an explicit stack
// either way).
const raceEnabled = true
