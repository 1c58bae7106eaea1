// Package dag resolves targets into a graph of jobs, demand-driven from the
// Rulefile's output patterns, decides which jobs are stale, and draws the
// graph as DOT. The graph is plain data; dag never runs a process and reads
// the disk only through Stat.
//
// Resolution. A file is matched against an index of output patterns
// (literal outputs by path, the others by literal prefix, then suffix,
// then the pattern's regexp), so the cost per file does not grow with the
// number of jobs. A job is a rule and a binding, evaluated once. Jobs are
// resolved breadth first and each wave's new jobs are evaluated together,
// in parallel when there are many: evaluation is most of the cost. Then a
// depth-first pass with an explicit stack orders the jobs (Graph.Jobs is
// topological, IDs are indexes) and finds cycles. Both are linear in jobs
// and edges and have no recursion, so chains of any length are fine.
//
// Speed, for 100,000 jobs on two cores. While a wave is expanded (serial
// work on the builder's maps) a goroutine already evaluates the jobs it
// creates; results are still taken in creation order. Staleness first
// stats the outputs in parallel when the disk is OSStat (other Stat
// implementations are called one file at a time, as they need not be
// safe for concurrent use), skipping the files of missing directories,
// and looks up each input's producer and mtime once, in parallel, for the
// passes that follow. The job graphs are written as DOT directly.
//
// Choices where the contract is silent:
//   - A file inside a directory() output of a job in the graph is made by
//     that job: it depends on it, and no rule's pattern is matched against
//     it (a checkpoint's "chunks/{s}" would otherwise also match
//     chunks/a/part_1 with s=a/part_1).
//   - --until holds jobs back after staleness is decided: a held job has
//     Stale false and keeps the Reason it would run for.
//   - A target job without outputs (like "all") counts as requesting its
//     inputs, so their missing producers run; a job with neither inputs nor
//     outputs always runs (Reason NoOutputs).
//   - When several files need a stale job, Reason.Path names the first
//     input (in declaration order) whose producer is stale.
//   - Checkpoints: a job whose checkpoint_output is not done waits
//     (PendingCheckpoint) with the checkpoint job among its Deps. A
//     checkpoint job already up to date counts as done at build time, so
//     its waiters are resolved by Build itself; otherwise Plan.Done
//     resolves them when the checkpoint succeeds. Jobs added then get the
//     next IDs; Graph.Jobs stays topological except that a re-resolved
//     job may now come before its new deps.
package dag

import (
	"io/fs"

	"github.com/hashicorp/hcl/v2"

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
	PendingCheckpoint            // Path: the checkpoint job waited for; resolved after it ran
	NoOutputs                    // a job with neither inputs nor outputs: always runs
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
	// Reason says why the job is stale. A job that --until holds back has
	// Stale false but keeps the Reason it would run for.
	Reason Reason
	// PathLen is the number of jobs on the longest path from this job to a
	// target, counting itself: the scheduler runs long chains first.
	PathLen int

	// Builder scratch, kept on the job so resolution allocates nothing
	// per job beyond the job itself.
	state   uint8  // fresh, evaluated, expanded
	visit   uint8  // white, gray, black: ordering
	markBy  *Job   // the last job that listed this one as a dep: dedups Deps
	via     string // the file this job was first needed for; "" for a rule target
	parent  *Job   // the job that first needed this one; nil for a target
	missing string // first missing output; "" when all exist
	oldest  int64  // mtime of the oldest output (UnixNano)
	effOut  int64  // newest input time: the time a missing output stands for
	inUntil bool   // --until: may run
}

// Graph is the resolved DAG for the requested targets.
type Graph struct {
	Jobs     []*Job          // topological order: every job after all its Deps
	Targets  []*Job          // the jobs the targets resolved to
	Sources  []string        // input files no rule makes (existing files), sorted
	Producer map[string]*Job // output path -> job that makes it
	// Warnings are the non-error diagnostics of rule evaluation, for the
	// CLI to print.
	Warnings hcl.Diagnostics

	resolver resolver // nil when no checkpoint is involved
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
	Targets    []string  // file paths or rule names; none means the first rule
	Stat       Stat      // nil means OSStat("")
	Env        rules.Env // CheckpointDone is wrapped: Build adds the checkpoints it knows are done
	ForceAll   bool      // -F
	ForceRules []string  // -R: jobs of these rules and everything downstream
	Until      []string  // --until: run only jobs of these rules and their upstream
	Checker    Checker   // nil: timestamps only
}

// resolver re-resolves the jobs that wait on a checkpoint once it has run.
// The builder that made the graph implements it.
type resolver interface {
	// checkpointDone evaluates again the jobs whose inputs called
	// checkpoint_output for j, fixes their Deps and staleness, appends
	// the new jobs their inputs need to Graph.Jobs (with IDs), and returns
	// every job that was added or changed.
	checkpointDone(j *Job) ([]*Job, error)
}
