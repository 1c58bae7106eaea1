package exec

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/workdir"
)

// Touch is the executor of --touch: instead of running a job it marks the
// job's outputs up to date, so the next run finds the job done. Run
// drives it in dependency order (see Pretender); each job's existing
// outputs get a time past its newest input, from a clock that only moves
// forward (inputs may carry future timestamps), so every output ends up
// newer than what it was made from. As in Snakemake an output that does
// not exist is not created: Missing hears of it, and the next run makes
// it if it is needed. A job whose outputs cannot be touched fails.
//
// A Touch serves one run. What it touched for a job, Touched says, for
// the metadata hook (Hooks.AfterFinish) to record; Result.Start and End
// are the time the outputs were given.
type Touch struct {
	Dir     string                        // the working directory job paths are relative to
	Missing func(j *dag.Job, path string) // an output that does not exist; nil is silent

	mu      sync.Mutex
	clock   time.Time
	touched map[*dag.Job][]string
	jobs    int // jobs with at least one output touched
	missing int // outputs not there to touch
}

// Pretend touches j's existing outputs.
func (t *Touch) Pretend(_ context.Context, j *dag.Job, _ Spec) Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	if t.clock.Before(now) {
		t.clock = now
	}
	if j.Spec == nil || len(j.Spec.Outputs) == 0 {
		return Result{Start: now, End: now, Executor: "touch"}
	}
	wd := workdir.Dir(t.Dir)
	for _, in := range j.Spec.Inputs {
		if st, err := os.Stat(wd.Path(in.Path)); err == nil && st.ModTime().After(t.clock) {
			t.clock = st.ModTime()
		}
	}
	// Strictly newer than the newest input, and than the outputs of the
	// jobs touched before, even on a file system with coarse times.
	t.clock = t.clock.Add(time.Millisecond)
	at := t.clock
	var done []string
	for _, o := range j.Spec.Outputs {
		p := wd.Path(o.Path)
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			t.missing++
			if t.Missing != nil {
				t.Missing(j, o.Path)
			}
			continue
		}
		if err := os.Chtimes(p, at, at); err != nil {
			return Result{ExitCode: -1, Err: err, Start: at, End: at, Executor: "touch"}
		}
		done = append(done, o.Path)
	}
	if len(done) > 0 {
		if t.touched == nil {
			t.touched = map[*dag.Job][]string{}
		}
		t.touched[j] = done
		t.jobs++
	}
	return Result{Start: at, End: at, Executor: "touch"}
}

// Run fails: --touch is driven by exec.Run, which calls Pretend.
func (*Touch) Run(context.Context, Spec) Result {
	return Result{ExitCode: -1, Err: errPretendOnly, Executor: "touch"}
}

// Touched returns the outputs of j that Pretend touched, none if it
// touched nothing (all were missing, or j has no outputs).
func (t *Touch) Touched(j *dag.Job) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.touched[j]
}

// Counts returns how many jobs had outputs touched and how many outputs
// were missing.
func (t *Touch) Counts() (jobs, missing int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.jobs, t.missing
}
