package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/flowmake/flowmake/dag"
	"github.com/flowmake/flowmake/exec"
)

// jobStats is one job of --stats FILE: what exec.Result carries.
type jobStats struct {
	Rule        string            `json:"rule"`
	Wildcards   map[string]string `json:"wildcards,omitempty"`
	Outputs     []string          `json:"outputs,omitempty"`
	Start       *time.Time        `json:"start,omitempty"` // absent when the job never started
	End         *time.Time        `json:"end,omitempty"`
	WallSeconds float64           `json:"wall_seconds"`
	ExitCode    int               `json:"exit_code"` // -1: killed by a signal or never started
	Signal      int               `json:"signal,omitempty"`
	Attempts    int               `json:"attempts"`
	Status      string            `json:"status"` // ok, failed, interrupted
	Error       string            `json:"error,omitempty"`
}

// runStats is the whole --stats FILE.
type runStats struct {
	Total       int        `json:"total"`
	Done        int        `json:"done"`
	Failed      int        `json:"failed"`
	Skipped     int        `json:"skipped"`
	Interrupted bool       `json:"interrupted"`
	WallSeconds float64    `json:"wall_seconds"`
	Jobs        []jobStats `json:"jobs"`
}

// statsRecorder is a Status that notes every finished job and passes
// each call on.
type statsRecorder struct {
	exec.Status
	mu  sync.Mutex
	out runStats
}

func (s *statsRecorder) Finished(j *dag.Job, spec exec.Spec, r exec.Result) {
	js := jobStats{ExitCode: r.ExitCode, Signal: r.Signal, Attempts: r.Attempts, Status: "ok"}
	if j.Spec != nil {
		js.Rule = j.Spec.Rule.Name
		if len(j.Spec.Wildcards) > 0 {
			js.Wildcards = j.Spec.Wildcards
		}
	}
	js.Outputs = spec.Outputs
	if !r.Start.IsZero() {
		start := r.Start
		js.Start = &start
		if !r.End.IsZero() {
			end := r.End
			js.End = &end
			js.WallSeconds = r.End.Sub(r.Start).Seconds()
		}
	}
	switch {
	case errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded):
		js.Status = "interrupted"
	case !r.OK():
		js.Status = "failed"
	}
	if r.Err != nil {
		js.Error = r.Err.Error()
	}
	s.mu.Lock()
	s.out.Jobs = append(s.out.Jobs, js)
	s.mu.Unlock()
	s.Status.Finished(j, spec, r)
}

func (s *statsRecorder) Done(sum exec.Summary) {
	s.mu.Lock()
	s.out.Total, s.out.Done, s.out.Failed, s.out.Skipped = sum.Total, sum.Done, sum.Failed, sum.Skipped
	s.out.Interrupted = sum.Interrupted
	s.out.WallSeconds = sum.Elapsed.Seconds()
	s.mu.Unlock()
	s.Status.Done(sum)
}

// write puts the figures into file, also after a failed or interrupted
// run: that is when they are wanted most.
func (s *statsRecorder) write(file string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out.Jobs == nil {
		s.out.Jobs = []jobStats{}
	}
	data, err := json.MarshalIndent(s.out, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("--stats: %w", err)
	}
	return nil
}
