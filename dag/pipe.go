package dag

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
)

// evalPipe overlaps evaluation with expansion. While resolve expands a
// wave, which is serial work on the builder's maps, one goroutine
// evaluates the jobs the expansion creates, in creation order, as they
// come. When the wave is expanded the pipe stops after the job in hand,
// and evalFresh evaluates the rest in parallel and then goes through all
// of them in creation order as before: the graph, its warnings and the
// first error do not depend on which goroutine evaluated what.
//
// The pipe's goroutine reads only the job it evaluates and writes only
// its Spec and its node's state, which the builder does not touch for a
// job that is not evaluated yet; link writes markBy and Dependents, and
// choose reads err, other fields.
type evalPipe struct {
	mu     sync.Mutex
	cond   sync.Cond
	next   int  // index in builder.fresh of the next job to evaluate
	closed bool // stop: the wave is expanded
	// stop is set with closed and read without the lock while a batch is
	// evaluated, so the pipe still stops after the job in hand.
	stop    atomic.Bool
	waiting bool // in cond.Wait: addFresh must signal
	// diags are the diagnostics of the jobs evaluated here that have
	// any (few do), for evalFresh.
	diags map[*node]hcl.Diagnostics
	done  chan struct{}
}

// startPipe starts a pipe for a wave whose jobs have inputs enough to
// create many jobs; on one processor there is nothing to overlap.
func (b *builder) startPipe(wave []*node) {
	if b.pipe != nil || runtime.GOMAXPROCS(0) < 2 {
		return
	}
	n := 0
	for _, w := range wave {
		if w.state == evaluated {
			n += len(w.job.Spec.Inputs)
		}
	}
	if n < parallelEval {
		return
	}
	p := &evalPipe{done: make(chan struct{})}
	p.cond.L = &p.mu
	b.pipe = p
	go func() {
		defer close(p.done)
		p.mu.Lock()
		for {
			for p.next == len(b.fresh) && !p.closed {
				p.waiting = true
				p.cond.Wait()
				p.waiting = false
			}
			if p.closed {
				p.mu.Unlock()
				return
			}
			// All the jobs queued so far, taken under the lock: append
			// never rewrites the elements a slice already holds, so this
			// one stays valid while addFresh goes on.
			batch := b.fresh[p.next:]
			p.mu.Unlock()
			done := 0
			for _, j := range batch {
				if p.stop.Load() {
					break
				}
				if ds := b.evalOne(j); len(ds) > 0 {
					if p.diags == nil {
						p.diags = map[*node]hcl.Diagnostics{}
					}
					p.diags[j] = ds
				}
				done++
			}
			p.mu.Lock()
			p.next += done
		}
	}()
}

// addFresh queues a new job for evaluation, waking the pipe only when it
// waits: a signal per job would cost a wake-up each.
func (b *builder) addFresh(n *node) {
	p := b.pipe
	if p == nil {
		b.fresh = append(b.fresh, n)
		return
	}
	p.mu.Lock()
	b.fresh = append(b.fresh, n)
	wake := p.waiting
	p.mu.Unlock()
	if wake {
		p.cond.Signal()
	}
}

// stopPipe stops the pipe, if one runs, and returns how many of
// builder.fresh it evaluated (a prefix) and their diagnostics.
func (b *builder) stopPipe() (int, map[*node]hcl.Diagnostics) {
	p := b.pipe
	if p == nil {
		return 0, nil
	}
	b.pipe = nil
	p.stop.Store(true)
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cond.Signal()
	<-p.done
	return p.next, p.diags
}

// evalOne evaluates a fresh job: on success its Spec is the evaluated job
// and its state evaluated.
func (b *builder) evalOne(n *node) hcl.Diagnostics {
	j := n.job
	// In place: Spec is the job's own, made by builder.job, and its
	// wildcard map is no one else's to write.
	ds := j.Spec.Rule.EvalInto(j.Spec, b.env)
	if !ds.HasErrors() {
		n.state = evaluated
	}
	return ds
}
