package exec

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Job arrays. The scheduler calls Run once per job, each in its own
// goroutine, so the jobs of a fan arrive at the executor within a few
// milliseconds of each other. The gatherer holds each job for a moment:
// jobs with the same sbatch options (so the same rule, run id, threads,
// memory, time, partition, account and extra flags; never two rules or
// two resource sets in one array) that arrive together are submitted as
// one `sbatch --array=0-(k-1)` of a script that execs task i's own batch
// script, the one a lone job would get. A group is sent when no job joined
// it for arrayQuiet, arrayWindow after its first job, or when it holds
// ArraySize jobs. A group of one is an ordinary job.
//
// Each task is then followed on its own as ARRAYID_TASK: squeue -r lists
// the tasks one per line under those ids, and scontrol and scancel take
// them too, so status, failures and interrupts are per job as before.

const (
	arrayQuiet  = 30 * time.Millisecond
	arrayWindow = 200 * time.Millisecond
)

// ArrayDir is where, under SlurmDir, the array scripts live; a task's
// output is written there as ARRAY_TASK.out, then moved to the job's own
// .out when the task ended.
const ArrayDir = SlurmDir + "/arrays"

type gatherer struct {
	s      *Slurm
	mu     sync.Mutex
	groups map[string]*arrayGroup
	seq    int
}

// arrayGroup is the jobs waiting to share one array.
type arrayGroup struct {
	opts    []string
	dir     string
	members []*arrayJob
	timer   *time.Timer
	first   time.Time
}

type arrayJob struct {
	ctx         context.Context
	script, out string
	done        chan arrayTicket
}

// arrayTicket is what a job learns: the id to follow (ARRAY_TASK, or a
// plain id) and the file its output goes to.
type arrayTicket struct {
	id, out string
	err     error
}

func (s *Slurm) gatherer() *gatherer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gather == nil {
		s.gather = &gatherer{s: s, groups: map[string]*arrayGroup{}}
	}
	return s.gather
}

// add queues one job (its sbatch options, working directory, batch
// script and output file) and waits until its group was submitted.
func (g *gatherer) add(ctx context.Context, opts []string, dir, script, out string) (id, taskOut string, err error) {
	key := strings.Join(opts, "\x00")
	m := &arrayJob{ctx: ctx, script: script, out: out, done: make(chan arrayTicket, 1)}
	g.mu.Lock()
	gr := g.groups[key]
	if gr == nil {
		gr = &arrayGroup{opts: opts, dir: dir, first: time.Now()}
		g.groups[key] = gr
		gr.timer = time.AfterFunc(arrayQuiet, func() { g.flush(key, gr) })
	}
	gr.members = append(gr.members, m)
	switch {
	case len(gr.members) >= g.s.ArraySize:
		gr.timer.Stop()
		delete(g.groups, key)
		go g.send(gr)
	default:
		// Wait for more while they keep coming, within the window.
		gr.timer.Reset(min(arrayQuiet, time.Until(gr.first.Add(arrayWindow))))
	}
	g.mu.Unlock()
	t := <-m.done
	return t.id, t.out, t.err
}

func (g *gatherer) flush(key string, gr *arrayGroup) {
	g.mu.Lock()
	if g.groups[key] != gr {
		g.mu.Unlock()
		return // already sent when it filled up
	}
	delete(g.groups, key)
	g.mu.Unlock()
	g.send(gr)
}

// send submits a group: one job as it is, more as one array.
func (g *gatherer) send(gr *arrayGroup) {
	var live []*arrayJob
	for _, m := range gr.members {
		if err := m.ctx.Err(); err != nil {
			m.done <- arrayTicket{out: m.out, err: fmt.Errorf("interrupted: %w", err)}
			continue
		}
		live = append(live, m)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		m := live[0]
		id, err := g.s.submit(m.ctx, append(gr.opts, "--output="+m.out, m.script))
		m.done <- arrayTicket{id: id, out: m.out, err: err}
		return
	}
	g.mu.Lock()
	g.seq++
	name := fmt.Sprintf("%s-%d", g.s.runID(), g.seq)
	g.mu.Unlock()
	base := filepath.Join(gr.dir, ArrayDir, name)
	fail := func(err error) {
		for _, m := range live {
			m.done <- arrayTicket{out: m.out, err: err}
		}
	}
	if err := os.MkdirAll(filepath.Dir(base), 0o777); err != nil {
		fail(err)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n# flowmake job array %s: task i runs job i's batch script\ncase ${SLURM_ARRAY_TASK_ID:-} in\n", name)
	for i, m := range live {
		fmt.Fprintf(&b, "%d) exec /bin/bash %s ;;\n", i, shellQuote(m.script))
	}
	b.WriteString("*) echo \"flowmake: array task '${SLURM_ARRAY_TASK_ID:-}' has no job\" >&2; exit 1 ;;\nesac\n")
	if err := os.WriteFile(base+".sh", []byte(b.String()), 0o755); err != nil {
		fail(fmt.Errorf("write array script: %w", err))
		return
	}
	// Any job's context will do: all are the run's.
	id, err := g.s.submit(live[0].ctx, append(gr.opts,
		"--array=0-"+strconv.Itoa(len(live)-1), "--output="+base+"_%a.out", base+".sh"))
	for i, m := range live {
		out := base + "_" + strconv.Itoa(i) + ".out"
		if err != nil {
			m.done <- arrayTicket{out: m.out, err: err}
		} else {
			m.done <- arrayTicket{id: id + "_" + strconv.Itoa(i), out: out}
		}
	}
}
