package exec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/flowmake/flowmake/workdir"
)

// Fake is an Executor for tests: it records every call and how many ran
// at once, and ends each call as told. The zero Fake succeeds at once.
type Fake struct {
	// Result decides how a call ends; call counts the calls with this
	// spec.Name, from 1 (so retries can fail first, then succeed).
	// nil means success. Start and End are filled in when zero.
	Result func(spec Spec, call int) Result
	// Delay is how long a call runs; nil means no time. A cancelled
	// call returns at once, killed by SIGTERM.
	Delay func(spec Spec) time.Duration
	// OnStart, when set, is called as each call begins.
	OnStart func(spec Spec)
	// Outputs makes successful calls create their outputs (empty files
	// under spec.Dir), as a real job would.
	Outputs bool

	mu         sync.Mutex
	calls      []Spec
	perName    map[string]int
	running    int
	maxRunning int
	threads    int
	maxThreads int
	used       map[string]int64
	maxUsed    map[string]int64
}

// Run implements Executor.
func (f *Fake) Run(ctx context.Context, spec Spec) Result {
	start := time.Now()
	f.mu.Lock()
	if f.perName == nil {
		f.perName, f.used, f.maxUsed = map[string]int{}, map[string]int64{}, map[string]int64{}
	}
	f.calls = append(f.calls, spec)
	f.perName[spec.Name]++
	call := f.perName[spec.Name]
	f.running++
	f.maxRunning = max(f.maxRunning, f.running)
	f.threads += spec.Threads
	f.maxThreads = max(f.maxThreads, f.threads)
	for k, v := range spec.Resources {
		f.used[k] += v
		f.maxUsed[k] = max(f.maxUsed[k], f.used[k])
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running--
		f.threads -= spec.Threads
		for k, v := range spec.Resources {
			f.used[k] -= v
		}
		f.mu.Unlock()
	}()

	if f.OnStart != nil {
		f.OnStart(spec)
	}
	if f.Delay != nil {
		if d := f.Delay(spec); d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return Result{ExitCode: -1, Signal: int(syscall.SIGTERM),
					Err: fmt.Errorf("interrupted: %w", ctx.Err()), Start: start, End: time.Now()}
			}
		}
	}
	r := Result{}
	if f.Result != nil {
		r = f.Result(spec, call)
	}
	if r.OK() && f.Outputs {
		for _, o := range spec.Outputs {
			p := workdir.Dir(spec.Dir).Path(o)
			if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
				r.Err = err
				break
			}
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				r.Err = err
				break
			}
		}
	}
	if r.Start.IsZero() {
		r.Start = start
	}
	if r.End.IsZero() {
		r.End = time.Now()
	}
	return r
}

// Calls returns the specs run so far, in the order they started.
func (f *Fake) Calls() []Spec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Spec(nil), f.calls...)
}

// Names returns the names of the calls so far, in the order they started.
func (f *Fake) Names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.calls))
	for i, c := range f.calls {
		out[i] = c.Name
	}
	return out
}

// MaxRunning is the most calls that ran at once.
func (f *Fake) MaxRunning() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxRunning
}

// MaxThreads is the largest sum of Spec.Threads over calls running at once.
func (f *Fake) MaxThreads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxThreads
}

// MaxResource is the largest sum of Spec.Resources[name] over calls
// running at once.
func (f *Fake) MaxResource(name string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxUsed[name]
}
