package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/exec"
	"github.com/flowmake/flowmake/meta"
	"github.com/flowmake/flowmake/rules"
	"github.com/flowmake/flowmake/workdir"
)

// A failed job's LogTail keeps the last tailLines lines of each of its
// logs and of its captured output, and at most tailBytes in all (the
// newest part): enough to see why it failed in `flowmake report` after
// the next run overwrote the files, small enough that a failed
// 10,000-job run stays a few megabytes of history.
const (
	historyTailLines = 20
	historyTailBytes = 8 << 10
)

// historyRecorder is a Status that notes every finished job of a real run
// and saves the run to the history when it is over, passing each call
// on. Like every Status it is called on the scheduler goroutine only, so
// it needs no lock.
type historyRecorder struct {
	exec.Status
	store  *meta.Store
	g      *dag.Graph
	stderr io.Writer
	run    meta.Run
	jobs   *meta.RunJobs // run.Jobs, written as they end
	// The finished jobs: ended holds them all (a slice: a 100,000-job run
	// would spend 3 MB on a map of them), open the index in jobs of each
	// that may still change (see Finished).
	ended []*dag.Job
	open  map[*dag.Job]int
}

// recordRun wraps st to record the run in store's history. Only execute
// calls it: dry runs, --touch and the graph listings leave no history.
func recordRun(o *options, wf *rules.Workflow, g *dag.Graph, store *meta.Store, st exec.Status) exec.Status {
	start := time.Now()
	dir, err := filepath.Abs(o.directory)
	if err != nil {
		dir = o.directory
	}
	targets := buildTargets(wf, o)
	if len(targets) == 0 && len(wf.Rules) > 0 {
		targets = []string{wf.Rules[0].Name} // the default target
	}
	host, _ := os.Hostname()
	h := &historyRecorder{
		Status: st,
		store:  store,
		g:      g,
		stderr: o.stderr,
		open:   map[*dag.Job]int{},
		run: meta.Run{
			ID:       meta.NewRunID(start),
			Start:    start,
			Version:  version,
			Args:     os.Args[1:],
			Targets:  targets,
			Dir:      dir,
			Host:     host,
			Executor: o.executor,
			Cores:    o.cores,
		},
	}
	h.jobs = store.NewRunJobs(&h.run)
	return h
}

func (h *historyRecorder) Finished(j *dag.Job, spec exec.Spec, r exec.Result) {
	jr := jobRun(j)
	jr.Outputs = spec.Outputs
	jr.Logs = spec.Logs
	if spec.Capture != "" {
		// A job that printed nothing has no capture file (exec.Local).
		if _, err := os.Lstat(workdir.Dir(spec.Dir).Path(spec.Capture)); err == nil {
			jr.Capture = spec.Capture
		}
	}
	jr.Start, jr.End = r.Start, r.End
	jr.ExitCode, jr.Signal, jr.Attempts = r.ExitCode, r.Signal, r.Attempts
	jr.UserCPU, jr.SysCPU, jr.MaxRSS = r.Usage.UserCPU, r.Usage.SysCPU, r.Usage.MaxRSS
	jr.Host, jr.Executor = r.Host, r.Executor
	if r.Err != nil {
		jr.Error = r.Err.Error()
	}
	switch {
	case r.OK():
		jr.Status = "ok"
	case errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded):
		jr.Status = "interrupted"
	default:
		jr.Status = "failed"
		jr.LogTail = logTail(workdir.Dir(spec.Dir), spec.Logs, spec.Capture)
	}
	// A job that succeeded stays so; any other may yet be counted as
	// stopped by the interrupt (Done), so it stays open to change. (A job
	// cannot end twice today; one that did would be kept twice.)
	i := h.jobs.Add(jr, r.OK())
	h.ended = append(h.ended, j)
	if !r.OK() {
		h.open[j] = i
	}
	h.Status.Finished(j, spec, r)
}

func (h *historyRecorder) Done(sum exec.Summary) {
	h.Status.Done(sum)
	r := &h.run
	r.End = time.Now()
	r.Total, r.Done, r.Failed, r.Skipped = sum.Total, sum.Done, sum.Failed, sum.Skipped
	r.Interrupted = sum.Interrupted
	// The scheduler counts a job that ended during an interrupt as
	// stopped, whatever its exit: so does the history.
	for _, j := range sum.Stopped {
		if i, ok := h.open[j]; ok {
			h.jobs.Update(i, func(jr *meta.JobRun) {
				jr.Status = "interrupted"
				jr.LogTail = ""
			})
		}
	}
	// Jobs of the plan that never started get no Finished. The ended jobs
	// are sorted by address for the lookups (the collector never moves
	// objects).
	addr := func(j *dag.Job) uintptr { return uintptr(unsafe.Pointer(j)) }
	slices.SortFunc(h.ended, func(a, b *dag.Job) int { return cmp.Compare(addr(a), addr(b)) })
	ended := func(j *dag.Job) bool {
		_, ok := slices.BinarySearchFunc(h.ended, j, func(e, t *dag.Job) int { return cmp.Compare(addr(e), addr(t)) })
		return ok
	}
	for _, j := range h.g.Jobs {
		if j.Stale && !ended(j) {
			jr := jobRun(j)
			jr.Status, jr.ExitCode = "skipped", -1
			h.jobs.Add(jr, true)
		}
	}
	r.Rules, r.RuleEdges = dag.RuleGraph(h.g)
	if err := h.store.SaveRunJobs(r, h.jobs); err != nil {
		fmt.Fprintf(h.stderr, "flowmake: warning: the run is not in the history: %v\n", err)
	}
}

// jobRun fills what the graph knows of a job.
func jobRun(j *dag.Job) meta.JobRun {
	var jr meta.JobRun
	rj := j.Spec
	if rj == nil {
		return jr
	}
	if rj.Rule != nil {
		jr.Rule = rj.Rule.Name
	}
	if len(rj.Wildcards) > 0 {
		jr.Wildcards = rj.Wildcards
	}
	jr.Inputs = paths(rj.Inputs)
	jr.Outputs = paths(rj.Outputs)
	jr.Logs = paths(rj.Log)
	return jr
}

func paths(ps []rules.Path) []string {
	if len(ps) == 0 {
		return nil
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Path
	}
	return out
}

// logTail is the end of a failed job's logs and captured output, each
// under a "==> name <==" heading as tail(1) writes them, at most
// historyTailBytes in all (the end is kept: a failure shows last).
func logTail(wd workdir.Dir, logs []string, capture string) string {
	var b strings.Builder
	files := logs
	if capture != "" {
		files = append(files[:len(files):len(files)], capture)
	}
	for _, f := range files {
		tail, err := exec.TailLines(wd.Path(f), historyTailLines)
		if err != nil || len(tail) == 0 {
			continue
		}
		fmt.Fprintf(&b, "==> %s <==\n", f)
		b.Write(tail)
		if tail[len(tail)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	s := b.String()
	if len(s) > historyTailBytes {
		s = s[len(s)-historyTailBytes:]
		// Start on a whole line, and on a whole UTF-8 character.
		if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
			s = s[i+1:]
		}
		for len(s) > 0 && !utf8.RuneStart(s[0]) {
			s = s[1:]
		}
	}
	return s
}
