package exec

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/rules"
	"github.com/flowmake/flowmake/workdir"
)

// pollEvery is how often missing outputs are looked for again during
// LatencyWait.
const pollEvery = 100 * time.Millisecond

// settleOutputs finishes a job that exited 0: it creates or touches its
// touch() outputs, waits up to latency for the others to appear, and
// makes protected() outputs read-only. The error names the first output
// still missing.
func settleOutputs(ctx context.Context, j *dag.Job, dir string, latency time.Duration) error {
	if j.Spec == nil {
		return nil
	}
	wd := workdir.Dir(dir)
	outs := j.Spec.Outputs
	now := time.Now()
	for _, o := range outs {
		if o.Flags&rules.Touch != 0 {
			if err := touch(wd.Path(o.Path), now); err != nil {
				return err
			}
		}
	}
	deadline := time.Now().Add(latency)
	for {
		missing := ""
		for _, o := range outs {
			if _, err := os.Lstat(wd.Path(o.Path)); err != nil {
				missing = o.Path
				break
			}
		}
		if missing == "" {
			break
		}
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			if latency > 0 {
				return fmt.Errorf("missing output %s (waited %s)", missing, latency)
			}
			return fmt.Errorf("missing output %s", missing)
		}
		select {
		case <-time.After(min(left, pollEvery)):
		case <-ctx.Done():
		}
	}
	for _, o := range outs {
		if o.Flags&rules.Protected != 0 {
			if err := protect(wd.Path(o.Path)); err != nil {
				return fmt.Errorf("protect %s: %w", o.Path, err)
			}
		}
	}
	return nil
}

func touch(p string, t time.Time) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		// A touch() output may name a directory that exists.
		if fi, serr := os.Stat(p); serr != nil || !fi.IsDir() {
			return fmt.Errorf("touch %w", err)
		}
	} else {
		f.Close()
	}
	return os.Chtimes(p, t, t)
}

// protect removes write permission for everyone, through directories.
func protect(p string) error {
	return filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			return nil // chmod would follow it out of the output
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return os.Chmod(path, fi.Mode().Perm()&^0o222)
	})
}

// removeOutputs deletes what a failed or interrupted job may have left
// half-written: its declared outputs and nothing else. A path that is
// also one of the job's inputs, or that names the working directory or
// the root, is never touched. Only directory() outputs are removed
// recursively.
func removeOutputs(j *dag.Job, dir string) {
	if j.Spec == nil {
		return
	}
	// The outputs that are also inputs are kept. A map of the outputs, not
	// of the inputs: an aggregate has few outputs and may have 100,000
	// inputs.
	outs := make(map[string]bool, len(j.Spec.Outputs))
	for _, o := range j.Spec.Outputs {
		outs[filepath.Clean(o.Path)] = true
	}
	for _, in := range j.Spec.Inputs {
		if c := filepath.Clean(in.Path); outs[c] {
			outs[c] = false
		}
	}
	for _, o := range j.Spec.Outputs {
		c := filepath.Clean(o.Path)
		if !outs[c] || c == "." || c == ".." || c == "/" || c == "" {
			continue
		}
		removePath(workdir.Dir(dir).Path(c), o.Flags&rules.Directory != 0)
	}
}

// removePath deletes one output. Errors are ignored: a missing file is
// what we want, and a file that cannot be removed is left to the next
// run's staleness check (the metadata store marks the job incomplete).
func removePath(p string, directory bool) {
	if directory {
		os.RemoveAll(p)
		return
	}
	os.Remove(p)
}

// tempState tracks one producer's temp() outputs: for each, how many of
// its stale consumers have still to finish successfully.
type tempState struct {
	left map[string]int // path -> consumers not yet done
}

// releaseTemps deletes the temp() outputs of j's producers that no job
// of the plan needs any more: every stale consumer of the file finished
// successfully. A failed or skipped consumer keeps the file for the next
// run, and a target's outputs are never deleted. Consumers added by a
// checkpoint after counting began are not counted.
func (s *scheduler) releaseTemps(j *dag.Job) {
	if j.Spec == nil {
		return
	}
	var uses map[string]bool
	for _, d := range j.Deps {
		if d.Target || d.Spec == nil || !hasTemp(d) {
			continue
		}
		if uses == nil {
			uses = make(map[string]bool, len(j.Spec.Inputs))
			for _, in := range j.Spec.Inputs {
				uses[filepath.Clean(in.Path)] = true
			}
		}
		ts := s.temps[d]
		if ts == nil {
			ts = s.countConsumers(d)
			s.temps[d] = ts
		}
		for _, o := range d.Spec.Outputs {
			p := filepath.Clean(o.Path)
			if o.Flags&rules.Temp == 0 || !uses[p] {
				continue
			}
			if n, ok := ts.left[p]; ok {
				n--
				ts.left[p] = n
				if n == 0 {
					delete(ts.left, p)
					removePath(workdir.Dir(s.opts.Dir).Path(p), o.Flags&rules.Directory != 0)
				}
			}
		}
	}
}

// countConsumers counts, per temp output of d, the jobs of the plan that
// read it. Counting happens once, when the first consumer finishes, so
// every consumer is in the graph already.
func (s *scheduler) countConsumers(d *dag.Job) *tempState {
	ts := &tempState{left: map[string]int{}}
	for _, o := range d.Spec.Outputs {
		if o.Flags&rules.Temp != 0 {
			ts.left[filepath.Clean(o.Path)] = 0
		}
	}
	for _, c := range d.Dependents {
		if !c.Stale || c.Spec == nil {
			continue
		}
		seen := map[string]bool{} // a consumer counts once per file, as releaseTemps decrements
		for _, in := range c.Spec.Inputs {
			p := filepath.Clean(in.Path)
			if _, ok := ts.left[p]; ok && !seen[p] {
				seen[p] = true
				ts.left[p]++
			}
		}
	}
	return ts
}

func hasTemp(j *dag.Job) bool {
	for _, o := range j.Spec.Outputs {
		if o.Flags&rules.Temp != 0 {
			return true
		}
	}
	return false
}
