package dag

import (
	"math"
	"time"

	"github.com/flowmake/flowmake/rules"
)

// Critical-path lengths for the scheduler. A job's PathLen is its
// remaining path to the targets: its own weight plus the largest PathLen
// of its dependents, so a ready job with a larger PathLen heads a longer
// chain of work still to do and should start first. Build weighs every
// job 1 (PathLen counts jobs); WeighPaths weighs each job by its rule's
// mean duration from the run history, in nanoseconds. One pass over the
// jobs in reverse topological order: O(jobs + edges), with one weight
// lookup per job and nothing allocated per job.

// pathWeights are per-rule job weights in nanoseconds. The nil
// *pathWeights weighs every job 1.
type pathWeights struct {
	byRule map[string]int
	// unknown weighs a rule the history does not know (new, renamed, or
	// never successful): the mean of the known rules' means, so that it
	// counts as a typical rule of this workflow. A fixed unit (1 s, say)
	// would make such a job dominate a workflow of 10 ms jobs and vanish
	// in one of hour-long jobs.
	unknown int
}

// newPathWeights turns the history's per-rule means into weights; nil
// when there are none, so every job weighs the same.
func newPathWeights(means map[string]time.Duration) *pathWeights {
	if len(means) == 0 {
		return nil
	}
	w := &pathWeights{byRule: make(map[string]int, len(means))}
	var sum float64
	for name, d := range means {
		// At least 1 ns: a rule that took no measurable time still makes
		// a longer chain of jobs a longer path.
		n := max(int(d), 1)
		w.byRule[name] = n
		sum += float64(n)
	}
	w.unknown = max(int(sum/float64(len(means))), 1)
	return w
}

// weigher looks weights up by rule pointer in a short list of the rules
// seen so far: a workflow has a few dozen rules at most, and comparing
// pointers costs far less than hashing the rule's name for every job.
// Past maxSeen rules it falls back to the name map.
type weigher struct {
	w    *pathWeights
	seen []ruleWeight
}

type ruleWeight struct {
	r *rules.Rule
	n int
}

const maxSeen = 32

func (k *weigher) of(j *Job) int {
	if k.w == nil {
		return 1
	}
	if j.Spec == nil || j.Spec.Rule == nil {
		return k.w.unknown
	}
	r := j.Spec.Rule
	for i := range k.seen {
		if k.seen[i].r == r {
			return k.seen[i].n
		}
	}
	n, ok := k.w.byRule[r.Name]
	if !ok {
		n = k.w.unknown
	}
	if len(k.seen) < maxSeen {
		k.seen = append(k.seen, ruleWeight{r, n})
	}
	return n
}

// addPath adds without overflowing: a path longer than MaxInt ns (292
// years) is as long as any other.
func addPath(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// WeighPaths sets every job's PathLen to its remaining path weighted by
// means (per rule name, as meta.Store.MeanDurations gives them), in
// nanoseconds, and keeps the weights for the jobs a checkpoint adds later.
// A rule without a mean weighs the mean of the known rules. With no means
// at all every job weighs 1, as Build left it. Call it before the graph
// is planned: the scheduler orders ready jobs by PathLen when it queues
// them.
func (g *Graph) WeighPaths(means map[string]time.Duration) {
	g.weights = newPathWeights(means)
	computePathLens(g.Jobs, g.weights)
}

// computePathLens fills PathLen over jobs in topological order.
func computePathLens(jobs []*Job, w *pathWeights) {
	k := weigher{w: w}
	for i := len(jobs) - 1; i >= 0; i-- {
		j := jobs[i]
		m := 0
		for _, d := range j.Dependents {
			m = max(m, d.PathLen)
		}
		j.PathLen = addPath(m, k.of(j))
	}
}

// growPathLens sets PathLen for jobs appended after a checkpoint, then
// lengthens the PathLen of older jobs upstream of them where the new
// paths are longer, with the graph's weights.
func (b *builder) growPathLens(added []*Job) {
	computePathLens(added, b.g.weights)
	k := weigher{w: b.g.weights}
	work := append([]*Job(nil), added...)
	for len(work) > 0 {
		j := work[len(work)-1]
		work = work[:len(work)-1]
		for _, d := range j.Deps {
			if p := addPath(j.PathLen, k.of(d)); d.PathLen < p {
				d.PathLen = p
				work = append(work, d)
			}
		}
	}
}
