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
// Fallback, as Snakemake 7.21's DAG.update does it. A file's candidate
// rules are ordered by ruleorder, then rules without wildcards before
// rules with (Ruleorder.compare), declaration order breaking ties; the
// first candidate that can run makes the file. A job cannot run when an
// input cannot be resolved: missing with no candidate left, closing a
// cycle, or cut as endless recursion. With no candidate left an existing
// file is a source, except a file named on the command line, which is an
// error. Snakemake tries candidates depth first; here the breadth-first
// waves stay optimistic (the first candidate not known to fail) so the
// common case costs nothing extra, and a job whose input fails is only
// recorded. When such failures exist, a repair pass takes the failed jobs
// out and resolves again the inputs their consumers took from them: the
// next candidate (whose new jobs the next waves expand), a source, or a
// failure of the consumer in turn. Failures only grow and each job is
// evaluated once, so each (file, candidate) pair is tried once and the
// whole stays linear. Candidates of equal priority to the chosen one are
// resolved too, and more than one of them able to run is an ambiguity.
// Jobs that were created but end up unreached (failed, lost a tie, or
// only needed by failed jobs) leave the graph; the failed ones stay known
// to the builder, never retried.
//
// Cycles are found while ordering. Walking back along the cycle from its
// closing edge, the first edge whose files exist is cut, its consumer
// reading them as sources (Snakemake cuts at the nearest existing file on
// the chain it resolves); with no existing file the closing edge's file
// tries its other candidates for that consumer, failing which the
// consumer fails with the CycleError. The graph changed, so ordering
// starts again; each restart cuts an edge for good.
//
// Recursion. A new job whose wildcard value ends in a piece repeated 20
// times (Snakemake's PeriodicityDetector) while its rule already needs it
// through the chain ("{base}/x.txt" from "{base}/sub/x.txt") is cut: it
// cannot run, so the file it was a candidate for falls back, and if
// nothing else works the RecursionError names the rule, the wildcard and
// the chain. Growth without a repeating piece is cut at 65,536 jobs deep,
// so resolution ends on every Rulefile with a graph bounded by that.
//
// The builder keeps its own state per job (a node, found by Job.ID: the
// index in Graph.Jobs, or past it while a job is not in the graph yet) and
// per file; Graph and Job carry none of it. Resolve returns, besides the
// graph, the Resolver that holds that state, which NewPlan is handed to
// re-resolve the jobs waiting for a checkpoint when it finishes.
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
//     inputs, so their missing producers run; a job without outputs that
//     has no inputs, or a shell or script, always runs (Reason NoOutputs),
//     as in Snakemake.
//   - When several files need a stale job, Reason.Path names the first
//     input (in declaration order) whose producer is stale.
//   - Checkpoints: a job whose checkpoint_output is not done waits
//     (PendingCheckpoint) with the checkpoint job among its Deps. A
//     checkpoint job already up to date counts as done at build time, so
//     its waiters are resolved by Build itself; otherwise Plan.Done has
//     the Resolver resolve them when the checkpoint succeeds. A waiter
//     that cannot run after the checkpoint is an error, not a fallback:
//     the graph around it is being run. Jobs added then get the
//     next IDs; Graph.Jobs stays topological except that a re-resolved
//     job may now come before its new deps.
package dag

import (
	"context"
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
	NoOutputs                    // no outputs, and no inputs or a command: always runs, as in Snakemake
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
	// PathLen is the longest path from this job to a target, counting
	// itself: the number of jobs on it, or after Graph.WeighPaths its
	// expected duration in nanoseconds. The scheduler runs long chains
	// first (pathlen.go).
	PathLen int
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

	weights *pathWeights // PathLen's, from WeighPaths; nil: 1 per job
}

// Checker lets the metadata store refine staleness. Build calls it for every
// job after the timestamp check, with that check's verdict (the zero Reason
// when the timestamps say up to date, else why not), and uses the Reason it
// returns. It may turn InputNewer into up to date (content unchanged) or an
// up-to-date job stale (Incomplete, CodeChanged, ...). It is not called for
// jobs whose outputs are all missing.
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
	// Context stops resolution (and the Resolver's re-resolution after a
	// checkpoint) early with its error; nil means never.
	Context context.Context
	// MaxJobs cuts a graph that grows past this many jobs with a
	// *TooManyJobsError; 0 means DefaultMaxJobs.
	MaxJobs int
}

// DefaultMaxJobs bounds resolution's memory (about 2 KB a job) when a
// workflow's demand grows without end in a way no other cut catches: a
// rule fanning out into ever new names. Twice the largest workflows we
// measure (bench/), far below what fills a machine.
const DefaultMaxJobs = 2_000_000
