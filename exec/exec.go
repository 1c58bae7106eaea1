// Package exec runs a plan of jobs: one scheduler loop that starts ready jobs
// while slots and resources allow and reaps results, in front of a small
// Executor interface with local, SLURM and fake implementations.
package exec

import (
	"context"
	"time"
)

// Spec is everything an executor needs to run one job.
type Spec struct {
	Name    string   // "rule (k=v, ...)", for messages
	Command string   // bash command; empty when Script is set
	Script  string   // script path run instead of Command
	JobJSON []byte   // the job as JSON, handed to scripts via FLOWMAKE_JOB
	Dir     string   // working directory
	Log     string   // file for stdout+stderr; "" means the terminal
	Outputs []string // declared outputs, created parent directories first
	Threads int
	Env     []string // extra environment, KEY=VALUE
}

// Result is how a job ended.
type Result struct {
	ExitCode int   // -1 when killed by a signal or never started
	Signal   int   // terminating signal, 0 if none
	Err      error // could not start, missing output, ...
	Start    time.Time
	End      time.Time
}

// OK reports whether the job succeeded.
func (r Result) OK() bool { return r.Err == nil && r.ExitCode == 0 && r.Signal == 0 }

// Executor runs one job to completion. Run must return when ctx is
// cancelled, after stopping the job.
type Executor interface {
	Run(ctx context.Context, spec Spec) Result
}
