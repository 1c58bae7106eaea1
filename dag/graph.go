// Package dag resolves targets into a graph of jobs, demand-driven from the
// Rulefile's output patterns, decides which jobs are stale, and draws the
// graph as DOT. The graph is plain data; dag never runs a process and reads
// the disk only through Stat.
package dag

import (
	"io/fs"

	"github.com/flowmake/flowmake/rules"
)

// Stat is how the graph sees the disk. fstest.MapFS satisfies it in tests;
// OSStat (relative to a directory) is the real one.
type Stat interface {
	Stat(name string) (fs.FileInfo, error)
}

// ReasonKind says why a job must run.
type ReasonKind int

const (
	UpToDate          ReasonKind = iota
	MissingOutput                // Path: the missing output
	InputNewer                   // Path: the newest input that is newer than the oldest output
	Forced                       // -F, -R or a requested target with --forcerun
	UpstreamChanged              // Path: an input made by a stale job
	Incomplete                   // Path: an output left incomplete by an interrupted run
	CodeChanged                  // shell/script text changed since the output was made
	ParamsChanged                // params changed since the output was made
	InputListChanged             // the input list changed since the output was made
	PendingCheckpoint            // waits for a checkpoint; resolved after it ran
)

// Reason is why a job is stale; the zero Reason means up to date.
type Reason struct {
	Kind ReasonKind
	Path string
}

// Job is one node: a rule with one binding of its wildcards.
type Job struct {
	ID   int    // index in Graph.Jobs
	Key  string // rule name + sorted wildcard values, unique in the graph
	Spec *rules.Job
	// Deps are the jobs that make this job's inputs, without repeats, in
	// input order. Dependents is the reverse edge.
	Deps       []*Job
	Dependents []*Job
	Target     bool // requested on the command line (directly, or as a rule target)
	Stale      bool // will run
	Reason     Reason
	// PathLen is the number of jobs on the longest path from this job to a
	// target, counting itself: the scheduler runs long chains first.
	PathLen int
}

// Graph is the resolved DAG for the requested targets.
type Graph struct {
	Jobs     []*Job          // topological order: every job after all its Deps
	Targets  []*Job          // the jobs the targets resolved to
	Sources  []string        // input files no rule makes (existing files), sorted
	Producer map[string]*Job // output path -> job that makes it
}

// Checker lets the metadata store refine staleness. Build calls it for every
// job after the timestamp check, with that check's verdict (the zero Reason
// when the timestamps say up to date, else why not), and uses the Reason it
// returns. It may turn InputNewer into up to date (content unchanged) or an
// up-to-date job stale (Incomplete, CodeChanged, ...). It is not called for
// jobs whose outputs are missing.
type Checker interface {
	Check(j *Job, byTime Reason) Reason
}

// Options steer Build.
type Options struct {
	Targets    []string // file paths or rule names; none means the first rule
	Stat       Stat
	Env        rules.Env
	ForceAll   bool     // -F
	ForceRules []string // -R: jobs of these rules and everything downstream
	Until      []string // --until: run only jobs of these rules and their upstream
	Checker    Checker  // nil: timestamps only
}
