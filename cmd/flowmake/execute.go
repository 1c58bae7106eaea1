package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/exec"
	"github.com/flowmake/flowmake/meta"
	"github.com/flowmake/flowmake/progress"
	"github.com/flowmake/flowmake/rules"
)

// execute runs the stale jobs of g and keeps the metadata store in step:
// an output is marked incomplete, durably, before its job starts, and the
// mark is cleared only when the job succeeded and its outputs were found.
func execute(o *options, wf *rules.Workflow, g *dag.Graph, r *dag.Resolver, store *meta.Store, checker *meta.Checker) error {
	plan := dag.NewPlan(g, r)
	var stats *statsRecorder // --stats
	if o.statsFile != "" {
		stats = &statsRecorder{}
	}
	if !plan.More() {
		fmt.Fprintln(o.stderr, "Nothing to be done.")
		if stats != nil {
			return stats.write(o.statsFile)
		}
		return nil
	}
	if n, first := countIncomplete(g); n > 0 {
		fmt.Fprintf(o.stderr, "Rerunning %d %s left incomplete by an interrupted run (e.g. %s).\n", n, plural(n, "job", "jobs"), first)
	}
	var (
		mu       sync.Mutex // the hooks run on the jobs' goroutines
		storeErr error
		marked   sync.Map // *dag.Job: marked by Prepare, not started yet
	)
	hooks := exec.Hooks{
		// One commit marks the outputs of the next jobs to start; should it
		// fail, each job's BeforeStart marks its own and reports the error.
		Prepare: func(jobs []*dag.Job) {
			ms := make([]meta.Marking, len(jobs))
			for i, j := range jobs {
				ms[i] = meta.Marking{Outputs: outputPaths(j), JobKey: j.Key}
			}
			if store.MarkAll(ms) == nil {
				for _, j := range jobs {
					marked.Store(j, true)
				}
			}
		},
		Unprepare: func(jobs []*dag.Job) {
			var outs []string
			for _, j := range jobs {
				if _, ok := marked.LoadAndDelete(j); ok {
					outs = append(outs, outputPaths(j)...)
				}
			}
			if err := store.Unmark(outs); err != nil {
				mu.Lock()
				if storeErr == nil {
					storeErr = fmt.Errorf("take back the start records of jobs that did not start: %w", err)
				}
				mu.Unlock()
			}
		},
		BeforeStart: func(j *dag.Job, spec exec.Spec) error {
			if _, ok := marked.LoadAndDelete(j); ok {
				return nil
			}
			if err := store.MarkIncomplete(spec.Outputs, j.Key); err != nil {
				return fmt.Errorf("record start of %s: %w", j, err)
			}
			return nil
		},
		AfterFinish: func(j *dag.Job, spec exec.Spec, r exec.Result) {
			var err error
			if r.OK() {
				err = store.Finish(spec.Outputs, checker.Record(j, r.Start, r.End, r.ExitCode, version))
			} else {
				// exec deleted the outputs of the failed job; an output it
				// could not delete keeps its incomplete mark.
				err = store.Fail(missingOutputs(o, spec.Outputs))
			}
			mu.Lock()
			if err != nil && storeErr == nil {
				storeErr = fmt.Errorf("record end of %s: %w", j, err)
			}
			mu.Unlock()
		},
	}
	// The live bar on a terminal, plain lines otherwise (see progress).
	live, color := progress.Detect(o.stdout, o.stderr, os.LookupEnv)
	order, err := scheduleOrder()
	if err != nil {
		return err
	}
	// The per-rule means weigh the critical path and feed the bar's ETA.
	// A damaged history leaves the paths counted in jobs and the ETA to
	// this run's own durations.
	means, _ := store.MeanDurations()
	if order == "critical" {
		g.WeighPaths(means)
	}
	display := progress.New(progress.Options{
		Stdout: o.stdout, Stderr: o.stderr, Live: live, Color: color,
		PrintCommands: o.printShell, Reasons: o.reason, Quiet: o.quiet,
		Cores: o.cores, Planned: plannedByRule(g), Means: means,
	})
	specFor := func(j *dag.Job) exec.Spec {
		spec := exec.NewSpec(j, o.directory)
		if spec.Script != "" {
			// Scripts read the whole job, config included, from FLOWMAKE_JOB.
			if data, err := exec.JobJSON(j.Spec, wf.Config); err == nil {
				spec.JobJSON = data
			}
		}
		return spec
	}
	var ex exec.Executor = exec.Local{Stdout: o.stdout, Stderr: o.stderr, Output: display.JobOutput}
	if o.executor == "slurm" {
		s := &exec.Slurm{RunID: exec.NewRunID(), Defaults: o.defaultResources, MaxSubmitRate: o.maxJobsPerSecond, ArraySize: o.slurmArraySize}
		if !o.quiet {
			fmt.Fprintf(o.stderr, "Submitting to SLURM as flowmake-%s-RULE; batch scripts and output in %s/.\n", s.RunID, exec.SlurmDir)
		}
		// A run killed with -9 leaves its jobs in SLURM: they must not
		// run beside their reruns.
		ids, err := s.CancelOrphans(o.signals.ctx, o.directory)
		if err != nil {
			return fmt.Errorf("looking for SLURM jobs of an earlier run: %w", err)
		}
		if len(ids) > 0 {
			fmt.Fprintf(o.stderr, "Cancelled %d SLURM %s left queued or running by an earlier flowmake in this directory: %s.\n",
				len(ids), plural(len(ids), "job", "jobs"), strings.Join(ids, ", "))
		}
		ex = s
		if len(wf.LocalRules) > 0 {
			// localrules: those jobs run here, not in the queue.
			ex = exec.Route{Local: exec.Local{Stdout: o.stdout, Stderr: o.stderr, Output: display.JobOutput}, Remote: s, IsLocal: exec.RuleIn(wf.LocalRules)}
		}
	}
	o.signals.arm()
	gcJobsRun()
	sum, err := exec.Run(o.signals.ctx, plan, ex, exec.Options{
		SpecFor:     specFor,
		Cores:       o.cores,
		CountJobs:   o.executor == "slurm",
		Resources:   o.caps,
		KeepGoing:   o.keepGoing,
		Dir:         o.directory,
		Status:      recordRun(o, wf, g, store, habitStatus(o, display, stats)),
		Hooks:       hooks,
		LatencyWait: seconds(o.latencyWait),
		Grace:       seconds(o.grace),
		Kill:        o.signals.kill,
		FIFO:        order == "fifo",
	})
	// Finish and Fail are committed with later writes (meta.Store.Finish):
	// a record that could not be written is reported here.
	if err := store.Sync(); err != nil && storeErr == nil {
		storeErr = fmt.Errorf("record the end of jobs: %w", err)
	}
	if stats != nil {
		if werr := stats.write(o.statsFile); werr != nil {
			if err == nil && !sum.Interrupted && sum.Failed == 0 && storeErr == nil {
				return werr
			}
			fmt.Fprintf(o.stderr, "flowmake: %v\n", werr)
		}
	}
	switch {
	case sum.Interrupted:
		return errInterrupted
	case storeErr != nil:
		return storeErr
	case sum.Failed > 0:
		return errReported // the printer has shown each failure
	}
	return err
}

// scheduleEnv picks the order of ready jobs, for benchmarks of the
// scheduler (bench/critical.sh): "critical" (the default) prefers the
// longest remaining path weighted by the history's mean durations,
// "unweighted" the longest path counted in jobs, and "fifo" starts jobs
// in the order they became ready.
const scheduleEnv = "FLOWMAKE_SCHEDULE"

func scheduleOrder() (string, error) {
	switch v := os.Getenv(scheduleEnv); v {
	case "", "critical":
		return "critical", nil
	case "unweighted", "fifo":
		return v, nil
	default:
		return "", fmt.Errorf("%s=%q: want critical, unweighted or fifo", scheduleEnv, v)
	}
}

// plannedByRule counts the jobs to run per rule, for the ETA.
func plannedByRule(g *dag.Graph) map[string]int {
	n := map[string]int{}
	for _, j := range g.Jobs {
		if j.Stale && j.Spec != nil && j.Spec.Rule != nil {
			n[j.Spec.Rule.Name]++
		}
	}
	return n
}

// outputPaths are j's outputs as its Spec lists them (exec.NewSpec).
func outputPaths(j *dag.Job) []string {
	if j.Spec == nil {
		return nil
	}
	return paths(j.Spec.Outputs)
}

// missingOutputs returns the outputs that do not exist.
func missingOutputs(o *options, outputs []string) []string {
	var gone []string
	for _, p := range outputs {
		if _, err := os.Lstat(o.path(p)); errors.Is(err, fs.ErrNotExist) {
			gone = append(gone, p)
		}
	}
	return gone
}

func countIncomplete(g *dag.Graph) (int, string) {
	n, first := 0, ""
	for _, j := range g.Jobs {
		if j.Stale && j.Reason.Kind == dag.Incomplete {
			if n == 0 {
				first = j.Reason.Path
			}
			n++
		}
	}
	return n, first
}

// touchOutputs marks the stale jobs' outputs up to date without running
// them (--touch): the scheduler drives an exec.Touch executor through a
// pretend plan, so in dependency order each job's existing outputs are
// made newer than its newest input (inputs may carry future timestamps)
// and the next run finds those jobs up to date. As in Snakemake, an
// output that does not exist is not created: it gets a warning, and the
// next run makes it if it is needed. Only the touched outputs get a
// record, written by the metadata hook; a store that fails stops it.
func touchOutputs(o *options, g *dag.Graph, store *meta.Store) error {
	plan := dag.NewPretendPlan(g)
	ctx, cancel := context.WithCancel(o.signals.ctx)
	defer cancel()
	tch := &exec.Touch{Dir: o.directory, Missing: func(j *dag.Job, p string) {
		fmt.Fprintf(o.stderr, "flowmake: warning: --touch: %s (%s) does not exist; not touched, the next run makes it\n", p, j)
	}}
	var storeErr error // the hook runs on Run's goroutine for a Pretender
	hooks := exec.Hooks{AfterFinish: func(j *dag.Job, _ exec.Spec, r exec.Result) {
		done := tch.Touched(j)
		if !r.OK() || len(done) == 0 || storeErr != nil {
			return
		}
		rec := meta.NewRecord(j, o.directory, r.Start, r.End, 0, version)
		if err := store.Finish(done, rec); err != nil {
			storeErr = fmt.Errorf("--touch %s: %w", j, err)
			cancel() // no more jobs: their records would go the same way
		}
	}}
	gcJobsRun() // like a run, --touch makes garbage job by job
	sum, err := exec.Run(ctx, plan, tch, exec.Options{Cores: 1, Dir: o.directory, Hooks: hooks})
	if serr := store.Sync(); serr != nil && storeErr == nil {
		storeErr = fmt.Errorf("--touch: %w", serr)
	}
	switch {
	case storeErr != nil:
		return storeErr
	case len(sum.Failures) > 0:
		f := sum.Failures[0]
		return fmt.Errorf("--touch %s: %w", f.Job, f.Result.Err)
	case err != nil:
		if errors.Is(err, context.Canceled) {
			return errInterrupted
		}
		return err
	}
	touched, gone := tch.Counts()
	if touched == 0 && gone == 0 {
		fmt.Fprintln(o.stderr, "Nothing to be done.")
		return nil
	}
	fmt.Fprintf(o.stderr, "Touched the outputs of %d %s", touched, plural(touched, "job", "jobs"))
	if gone > 0 {
		fmt.Fprintf(o.stderr, "; %d missing %s not touched", gone, plural(gone, "output", "outputs"))
	}
	fmt.Fprintln(o.stderr, ".")
	return nil
}

// cleanupMetadata forgets the metadata of the given outputs.
func cleanupMetadata(o *options, metaDir string) error {
	lock, err := meta.Lock(metaDir)
	if err != nil {
		return err
	}
	defer lock.Release()
	store, err := meta.Open(metaDir, meta.OpenOptions{})
	if err != nil {
		return err
	}
	defer store.Close()
	paths := make([]string, len(o.cleanupMeta))
	for i, p := range o.cleanupMeta {
		paths[i] = filepath.Clean(p)
	}
	n, err := store.Forget(paths)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.stderr, "Forgot the metadata of %d %s.\n", n, plural(n, "output", "outputs"))
	return nil
}
