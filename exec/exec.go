// Package exec runs a plan of jobs: one scheduler loop that starts ready jobs
// while slots and resources allow and reaps results, in front of a small
// Executor interface with local, SLURM and fake implementations.
//
// Run is Ninja's loop on the caller's goroutine: it alone touches the
// plan, the queue and the counters; each started job runs in a goroutine
// of its own that calls Executor.Run (with retries), settles the job's
// outputs and sends the result back. Ready jobs wait in a heap ordered by
// priority, then critical path (dag.Job.PathLen), then ID, so dispatch
// costs O(log n) per job. When the best job does not fit the free cores
// or --resources, a bounded number of smaller ones may go first
// (backfilling), then the run drains until it fits, so nothing starves.
// An executor that only pretends (a Pretender: the dry run and --touch)
// is called inline instead, in ready order, and its jobs' files are left
// alone.
//
// Outputs are the scheduler's business, not the executor's, so every
// executor gets the same rules: after a failure (exit status, signal,
// missing output, interrupt) the job's declared outputs, and nothing
// else, are deleted; after success every output must exist (within
// Options.LatencyWait), touch() outputs are touched, protected() ones
// made read-only, and temp() files deleted once their last consumer in
// the plan succeeded.
//
// Cancelling the context stops new starts; running jobs get SIGTERM on
// their process group, then SIGKILL after Options.Grace or as soon as
// Options.Kill is closed (a second Ctrl-C).
//
// A shell command runs as `bash -euo pipefail -c CMD`, except one over
// 100 KiB: Linux refuses a single exec argument over 128 KiB, and a gather
// over 10,000 inputs is ~400 KB. Such a command is written beside the
// job's capture (.flowmake/log/RULE[/k=v].sh) and run as
// `bash -euo pipefail FILE`: the same shell, options, process group,
// signals, exit status and stdin (a file, not a pipe, so what the job
// reads on stdin is unchanged); only $0 is the file's path. Only long commands take this
// way, not all: short ones, nearly all, run as they always did, with no
// file written per job in a fan of thousands and the command visible in
// ps. The file is removed after a success or an interrupt and kept after
// a failure, whose message shows the command's head and tail and names
// the file instead of printing all of it.
package exec

import (
	"context"
	"time"
)

// Spec is everything an executor needs to run one job.
type Spec struct {
	Name    string // "rule (k=v, ...)", for messages
	Rule    string // the rule's name alone, for routing (see Route)
	Command string // bash command; empty when Script is set
	Script  string // script path run instead of Command
	JobJSON []byte // the job as JSON, handed to scripts via FLOWMAKE_JOB
	Dir     string // working directory
	// Logs are the rule's log files. They are the command's to write
	// (2> ${log}), as in Snakemake: an executor makes their directories,
	// removes old ones before the job and creates those still missing
	// after it, and a failure message shows their last lines.
	Logs []string
	// Capture, when set, is flowmake's own copy of the job's stdout and
	// stderr (under .flowmake/log/), written beside the terminal for
	// failure messages and later reading; see CapturePath.
	Capture string
	// Benchmark, when set, is the file a successful job's wall time, CPU
	// time and peak memory are written to (the rule's benchmark).
	Benchmark string
	Outputs   []string // declared outputs, created parent directories first
	Threads   int
	Env       []string // extra environment, KEY=VALUE

	// Resources are the job's whole-number resources (mem_mb, ...), and
	// ResourceText the others (a SLURM partition), for executors that
	// pass them on to a batch system.
	Resources    map[string]int64
	ResourceText map[string]string
	// Kill is closed when a cancelled job must die at once: until then an
	// executor may give the job a grace period (SIGTERM before SIGKILL).
	// Run sets it; nil leaves the grace period to the executor.
	Kill <-chan struct{}
}

// Result is how a job ended.
type Result struct {
	ExitCode int   // -1 when killed by a signal or never started
	Signal   int   // terminating signal, 0 if none
	Err      error // could not start, missing output, ...
	Start    time.Time
	End      time.Time
	Attempts int // runs made, retries included; set by the scheduler
	// Usage is what the job's processes used, from wait4's rusage (the
	// local executor) or the batch system's accounting; zero when unknown.
	Usage    Usage
	Host     string // where the job ran (os.Hostname, or a SLURM node)
	Executor string // "local", "slurm", "dry-run", "touch"
}

// Usage is a job's resource use: CPU time in user and kernel mode and
// the peak resident set size of its largest process.
type Usage struct {
	UserCPU time.Duration
	SysCPU  time.Duration
	MaxRSS  int64 // bytes; Linux's ru_maxrss is KiB
}

// OK reports whether the job succeeded.
func (r Result) OK() bool { return r.Err == nil && r.ExitCode == 0 && r.Signal == 0 }

// Executor runs one job to completion. Run must return when ctx is
// cancelled, after stopping the job.
type Executor interface {
	Run(ctx context.Context, spec Spec) Result
}
