package exec

import (
	"context"
	"errors"

	"github.com/flowmake/flowmake/dag"
)

// errPretendOnly is the Result of a Pretender's Run: its jobs need the
// dag.Job, which only Run (the scheduler) hands to Pretend.
var errPretendOnly = errors.New("internal error: a pretend executor runs jobs only under exec.Run")

// DryRun is the executor of a dry run (-n), as Ninja's DryRunCommandRunner
// is: Run drives it like any executor, in dependency order, but it runs
// nothing and touches no file (see Pretender). Every job succeeds and
// is handed to Job, in the order the scheduler dispatched it, for the
// caller to list.
type DryRun struct {
	Job func(j *dag.Job) // nil: only the Status and Hooks hear of jobs
}

// Pretend reports j to Job and succeeds at once; the Result has no
// times, which would cost a clock read per job and mean nothing.
func (d DryRun) Pretend(_ context.Context, j *dag.Job, _ Spec) Result {
	if d.Job != nil {
		d.Job(j)
	}
	return Result{Executor: "dry-run"} // no time taken: Start and End are zero
}

// Run fails: a dry run is driven by exec.Run, which calls Pretend.
func (DryRun) Run(context.Context, Spec) Result {
	return Result{ExitCode: -1, Err: errPretendOnly, Executor: "dry-run"}
}
