package dag

import "slices"

// orderAll appends the jobs upstream of roots that are not in Graph.Jobs
// yet (see order); finalize then gives them their IDs. When it cut a
// cycle it takes back what it appended and reports again: the graph
// changed, resolve and order once more.
func (b *builder) orderAll(roots []*Job) (again bool) {
	start := len(b.g.Jobs)
	// Room up front when the jobs to order are many and most of the
	// graph (an aggregate over a million), as reserve does for the maps;
	// a few more after a checkpoint grow the slice as append does.
	if n := len(b.nodes) - start; n >= reserveMin && start <= n/4 {
		b.g.Jobs = slices.Grow(b.g.Jobs, n)
	}
	for _, t := range roots {
		if !b.order(b.node(t), start) {
			continue
		}
		for _, j := range b.g.Jobs[start:] {
			b.node(j).visit = white
		}
		for _, f := range b.stack {
			f.n.visit = white
		}
		b.stack = b.stack[:0]
		b.g.Jobs = b.g.Jobs[:start]
		return true
	}
	return false
}

// order appends root and the jobs upstream of it that are not in
// Graph.Jobs yet, depth first in post-order (a topological order), with an
// explicit stack so chains of any length are fine. Jobs with an ID below
// start are in Graph.Jobs already. On a cycle it calls cutCycle and
// stops, returning true.
func (b *builder) order(root *node, start int) bool {
	if root.visit == black {
		return false
	}
	b.stack = append(b.stack[:0], frame{n: root})
	root.visit = gray
	for len(b.stack) > 0 {
		f := &b.stack[len(b.stack)-1]
		j := f.n.job
		if f.next < len(j.Deps) {
			d := b.node(j.Deps[f.next])
			f.next++
			switch d.visit {
			case black:
				continue
			case gray:
				b.cutCycle(d)
				return true
			}
			d.visit = gray
			b.stack = append(b.stack, frame{n: d})
			continue
		}
		b.stack = b.stack[:len(b.stack)-1]
		f.n.visit = black
		if j.ID >= start {
			b.g.Jobs = append(b.g.Jobs, j)
		}
	}
	return false
}
