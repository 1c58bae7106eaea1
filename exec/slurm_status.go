package exec

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// jobState is what SLURM says of one job.
type jobState struct {
	State  string // COMPLETED, FAILED, ... ; LOST when SLURM forgot the job
	Reason string
	Exit   int // exit status
	Signal int // terminating signal, 0 if none
}

// finalStates are the states a job never leaves. Anything else
// (PENDING, RUNNING, COMPLETING, SUSPENDED, REQUEUED, ...) is polled on.
var finalStates = map[string]bool{
	"COMPLETED": true, "FAILED": true, "TIMEOUT": true, "CANCELLED": true,
	"NODE_FAIL": true, "OUT_OF_MEMORY": true, "PREEMPTED": true,
	"BOOT_FAIL": true, "DEADLINE": true, "REVOKED": true, "LOST": true,
}

// lostAfter is how many polls in a row a job may be unknown to squeue,
// scontrol and the completion log before it counts as lost.
const lostAfter = 3

// squeueChunk bounds the ids of one squeue call, so the -j list stays
// far below Linux's 128 KiB per argument; -j N keeps most runs in one.
const squeueChunk = 1000

// toolTimeout bounds one squeue, scontrol or scancel call.
const toolTimeout = 30 * time.Second

// maxPollErrors is how many failed squeue calls in a row fail the jobs
// (at PollMax apart, about 5 minutes of a controller that does not answer).
const maxPollErrors = 30

// poller follows every job of a run with one squeue call per interval,
// never one per job. The interval is min after a job was submitted or a
// job changed state (jobs end in waves: a fan's siblings, a successor
// submitted after its input), and grows by half after each poll that saw
// nothing change, up to max. Its goroutine runs while jobs are followed.
type poller struct {
	min, max time.Duration

	mu      sync.Mutex
	jobs    map[string]*watch
	cancels []string
	running bool
	kick    chan struct{}
	calls   int // squeue calls, for tests and figures

	jobComp     string // completion log file, "" if none; read once
	jobCompRead bool
}

type watch struct {
	done   chan jobState // gets the final state, once
	last   string
	misses int
}

func newPoller(min, max time.Duration) *poller {
	return &poller{min: min, max: max, jobs: map[string]*watch{}, kick: make(chan struct{}, 1)}
}

// squeueCalls is how many squeue calls the poller made.
func (p *poller) squeueCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// wait follows job id until it ends. When ctx is cancelled first the job
// is scancelled and waited for until SLURM reports its end, or kill is
// closed (without kill, at most a minute: SLURM's KillWait is 30 s by
// default); the error then says interrupted.
func (p *poller) wait(ctx context.Context, id string, kill <-chan struct{}) (jobState, error) {
	w := &watch{done: make(chan jobState, 1)}
	p.mu.Lock()
	p.jobs[id] = w
	p.startLocked()
	p.mu.Unlock()
	p.poke()
	select {
	case st := <-w.done:
		return st, nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	p.cancels = append(p.cancels, id)
	p.mu.Unlock()
	p.poke()
	if kill == nil {
		t := time.NewTimer(time.Minute)
		defer t.Stop()
		select {
		case <-w.done:
		case <-t.C:
		}
	} else {
		select {
		case <-w.done:
		case <-kill:
		}
	}
	p.mu.Lock()
	delete(p.jobs, id)
	p.mu.Unlock()
	return jobState{}, fmt.Errorf("interrupted: %w", ctx.Err())
}

func (p *poller) poke() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *poller) startLocked() {
	if !p.running {
		p.running = true
		go p.loop()
	}
}

func (p *poller) loop() {
	interval := p.min
	next := time.Now().Add(interval)
	errs := 0
	for {
		t := time.NewTimer(time.Until(next))
		select {
		case <-t.C:
		case <-p.kick:
			t.Stop()
			// A new job, or jobs to cancel: cancel now (a moment's wait
			// gathers the others an interrupt cancels at the same time),
			// poll no later than min from now.
			time.Sleep(20 * time.Millisecond)
			p.sendCancels()
			interval = p.min
			if soon := time.Now().Add(p.min); soon.Before(next) {
				next = soon
			}
			continue
		}
		p.mu.Lock()
		ids := make([]string, 0, len(p.jobs))
		for id := range p.jobs {
			ids = append(ids, id)
		}
		if len(ids) == 0 && len(p.cancels) == 0 {
			p.running = false
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		p.sendCancels()
		changed, err := p.pollOnce(ids)
		switch {
		case err != nil:
			errs++
			if errs >= maxPollErrors {
				p.failAll(ids, err)
				errs = 0
			}
		default:
			errs = 0
		}
		if changed {
			interval = p.min
		} else {
			interval = min(interval*3/2, p.max)
		}
		next = time.Now().Add(interval)
	}
}

func (p *poller) sendCancels() {
	p.mu.Lock()
	ids := p.cancels
	p.cancels = nil
	p.mu.Unlock()
	if len(ids) > 0 {
		runTool(context.Background(), toolTimeout, "scancel", ids...) // exits 0 for ended jobs too
	}
}

// pollOnce asks squeue about ids and delivers the final states; changed
// reports whether any job's state moved.
func (p *poller) pollOnce(ids []string) (changed bool, err error) {
	slices.Sort(ids) // a stable -j list, for logs and tests
	// An array task ARRAY_TASK is asked for as its array: -r then lists
	// every task on its own line, under that id (JobArrayID is the plain
	// id for a job that is no array).
	jobs := make([]string, len(ids))
	for i, id := range ids {
		jobs[i], _, _ = strings.Cut(id, "_")
	}
	slices.Sort(jobs)
	jobs = slices.Compact(jobs)
	states := map[string]jobState{}
	for start := 0; start < len(jobs); start += squeueChunk {
		chunk := jobs[start:min(start+squeueChunk, len(jobs))]
		p.mu.Lock()
		p.calls++
		p.mu.Unlock()
		out, msg, rerr := runTool(context.Background(), toolTimeout, "squeue", "-h", "-r", "-t", "all",
			"-j", strings.Join(chunk, ","), "-O", "JobArrayID:|,State:|,Reason:|,exit_code:")
		if rerr != nil && !strings.Contains(msg, "Invalid job id") {
			// With one id that SLURM forgot, squeue fails instead of
			// printing nothing; that is a missing job, not an error.
			err = fmt.Errorf("squeue: %s", msg)
			continue
		}
		for id, st := range parseSqueue(out) {
			states[id] = st
		}
	}
	if err != nil && len(states) == 0 {
		return false, err
	}
	for _, id := range ids {
		st, ok := states[id]
		if job, _, task := strings.Cut(id, "_"); !ok && task {
			// Tasks that never started stay in the array's own record;
			// cancelled, it is listed as the bare array id, and scontrol
			// knows no such task.
			st, ok = states[job]
		}
		if !ok {
			st, ok = p.lookup(id)
		}
		p.mu.Lock()
		w := p.jobs[id]
		p.mu.Unlock()
		if w == nil {
			continue
		}
		if !ok {
			w.misses++
			if w.misses < lostAfter {
				continue
			}
			st = jobState{State: "LOST"}
		}
		w.misses = 0
		if st.State != w.last {
			changed = true
			w.last = st.State
		}
		if finalStates[st.State] {
			p.deliver(id, w, st)
		}
	}
	return changed, err
}

func (p *poller) deliver(id string, w *watch, st jobState) {
	p.mu.Lock()
	if p.jobs[id] == w {
		delete(p.jobs, id)
	}
	p.mu.Unlock()
	w.done <- st // buffered, and delivered once: the job left p.jobs
}

// failAll ends the jobs when squeue kept failing.
func (p *poller) failAll(ids []string, err error) {
	for _, id := range ids {
		p.mu.Lock()
		w := p.jobs[id]
		p.mu.Unlock()
		if w != nil {
			p.deliver(id, w, jobState{State: "LOST", Reason: err.Error()})
		}
	}
}

// parseSqueue reads lines "ID|STATE|REASON|RAW_WAIT_STATUS".
func parseSqueue(out string) map[string]jobState {
	states := map[string]jobState{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		if len(f) < 4 {
			continue
		}
		id := strings.TrimSpace(f[0])
		st := jobState{State: normState(f[1]), Reason: strings.TrimSpace(f[2])}
		if raw, err := strconv.Atoi(strings.TrimSpace(f[3])); err == nil {
			// squeue's exit_code is the raw wait status.
			st.Exit, st.Signal = raw>>8&0xff, raw&0x7f
		}
		states[id] = st
	}
	return states
}

// normState is "CANCELLED" for "CANCELLED by 0" or "CANCELLED+".
func normState(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " +"); i >= 0 {
		s = s[:i]
	}
	return s
}

var (
	reJobState = regexp.MustCompile(`\bJobState=(\S+)`)
	reReason   = regexp.MustCompile(`\bReason=(\S+)`)
	reExitCode = regexp.MustCompile(`\bExitCode=(\d+):(\d+)`)
	reJobComp  = regexp.MustCompile(`(?m)^JobCompLoc\s*=\s*(\S+)`)
	reCompType = regexp.MustCompile(`(?m)^JobCompType\s*=\s*(\S+)`)
)

// lookup finds a job squeue did not list: `scontrol show job`, then the
// completion log when SLURM writes one to a file.
func (p *poller) lookup(id string) (jobState, bool) {
	if out, _, err := runTool(context.Background(), toolTimeout, "scontrol", "show", "job", "-o", id); err == nil {
		if st, ok := parseScontrol(out); ok {
			return st, true
		}
	}
	file := p.jobCompFile()
	if file == "" {
		return jobState{}, false
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return jobState{}, false
	}
	var last string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "JobId="+id+" ") {
			last = line // ids may repeat after a controller lost its state; the latest counts
		}
	}
	if last == "" {
		return jobState{}, false
	}
	return parseScontrol(last)
}

// parseScontrol reads JobState, Reason and ExitCode=CODE:SIGNAL from
// `scontrol show job -o` or a jobcomp/filetxt line.
func parseScontrol(line string) (jobState, bool) {
	m := reJobState.FindStringSubmatch(line)
	if m == nil {
		return jobState{}, false
	}
	st := jobState{State: normState(m[1])}
	if m := reReason.FindStringSubmatch(line); m != nil {
		st.Reason = m[1]
	}
	if m := reExitCode.FindStringSubmatch(line); m != nil {
		st.Exit, _ = strconv.Atoi(m[1])
		st.Signal, _ = strconv.Atoi(m[2])
	}
	return st, true
}

// jobCompFile is the cluster's job-completion log, when it is a file
// (JobCompType=jobcomp/filetxt), read from `scontrol show config` once.
func (p *poller) jobCompFile() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.jobCompRead {
		p.jobCompRead = true
		out, _, err := runTool(context.Background(), toolTimeout, "scontrol", "show", "config")
		if err == nil {
			t, l := reCompType.FindStringSubmatch(out), reJobComp.FindStringSubmatch(out)
			if t != nil && t[1] == "jobcomp/filetxt" && l != nil {
				p.jobComp = l[1]
			}
		}
	}
	return p.jobComp
}

// failure is the error of a job that ended in st, not COMPLETED: the
// state, the exit code or signal, and where its output is (with its last
// lines when the job has no capture the failure message shows). out is
// the output file, shown its name relative to the working directory.
func (st jobState) failure(id string, spec Spec, out, shown string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "slurm job %s %s", id, st.State)
	switch {
	case st.Signal != 0:
		fmt.Fprintf(&b, ", signal %d", st.Signal)
	default:
		fmt.Fprintf(&b, ", exit code %d", st.Exit)
	}
	if st.Reason != "" && st.Reason != "None" {
		fmt.Fprintf(&b, ", reason %s", st.Reason)
	}
	tail, _ := TailLines(out, 10)
	switch {
	case st.State == "LOST":
		b.WriteString(": SLURM no longer knows the job (squeue, scontrol and the completion log do not list it)")
	case st.State == "TIMEOUT":
		b.WriteString(": ran past its time limit (resources.runtime)")
	case st.State == "OUT_OF_MEMORY" || (st.Signal == 9 && strings.Contains(string(tail), "exceeded memory limit")):
		b.WriteString(": out of memory (resources.mem_mb)")
	}
	fmt.Fprintf(&b, "; output in %s", shown)
	if spec.Capture == "" && len(tail) > 0 {
		b.WriteString(", last lines:\n")
		b.Write(tail)
	}
	return fmt.Errorf("%s", b.String())
}
