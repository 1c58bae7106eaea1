package dag

import (
	"sort"
	"strings"
)

// Limits of the file systems flowmake runs on (Linux's PATH_MAX and
// NAME_MAX): a longer path can neither exist nor be made, so a job needed
// for one is cut rather than resolved. This stops a rule whose input
// grows its own name faster than by a repeated piece ("{s}" from
// "{s}x{s}") within a few levels. maxPathLen is a variable for tests.
var maxPathLen = 4096

const maxNameLen = 255

// maxDepth (a variable for tests) cuts resolution that grows without repeating itself (an input
// computed as a longer and longer name): no real chain is this deep, and
// the graph built until then stays in memory bounds.
var maxDepth = 1 << 16

// minRepeat is how often a piece must repeat at the end of a wildcard
// value to count as periodic: Snakemake's PeriodicityDetector default.
const minRepeat = 20

// cut returns why the new job n is not resolved at all: a wildcard value
// that ends in a piece repeated minRepeat times while the same rule is
// already on the chain that needs n (Snakemake's periodic-wildcard check:
// "{base}/x.txt" from "{base}/sub/x.txt" would recurse forever), or a
// chain deeper than maxDepth. The cut job counts as unable to run, so the
// file it was a candidate for falls back.
func (b *builder) cut(n *node) error {
	if n.parent == nil {
		return nil
	}
	if int(n.depth) > maxDepth {
		return &RecursionError{Rule: n.job.Spec.Rule, Wildcards: n.job.Spec.Wildcards, Depth: maxDepth, Chain: b.chainFrom(n.job)}
	}
	if tooLong(n.via) {
		return &RecursionError{Rule: n.job.Spec.Rule, Wildcards: n.job.Spec.Wildcards, Long: n.via, Chain: b.chainFrom(n.job)}
	}
	if len(n.via) < minRepeat {
		return nil // values are parts of via: none is long enough to repeat
	}
	wc := n.job.Spec.Wildcards
	var names []string
	for k, v := range wc {
		if len(v) >= minRepeat {
			names = append(names, k)
		}
	}
	if len(names) == 0 {
		return nil // the common case
	}
	sort.Strings(names)
	for _, k := range names {
		piece := periodicPiece(wc[k])
		if piece == "" {
			continue
		}
		// The chain does not depend on k: walk it once.
		if !b.ruleOnChain(n) {
			return nil
		}
		return &RecursionError{Rule: n.job.Spec.Rule, Wildcards: wc, Wildcard: k, Piece: piece, Chain: b.chainFrom(n.job)}
	}
	return nil
}

// tooLong reports whether no file system could hold path p.
func tooLong(p string) bool {
	if len(p) <= maxNameLen {
		return false
	}
	if len(p) > maxPathLen {
		return true
	}
	for p != "" {
		var name string
		name, p, _ = strings.Cut(p, "/")
		if len(name) > maxNameLen {
			return true
		}
	}
	return false
}

// ruleOnChain reports whether n's rule needs n through its parents.
func (b *builder) ruleOnChain(n *node) bool {
	r := n.job.Spec.Rule
	for p := n.parent; p != nil; p = p.parent {
		if p.job.Spec.Rule == r {
			return true
		}
	}
	return false
}

// periodicPiece returns the shortest piece that v ends with minRepeat
// times in a row, or "".
func periodicPiece(v string) string {
	for l := 1; l*minRepeat <= len(v); l++ {
		start := len(v) - l*minRepeat
		ok := true
		for i := start; i+l < len(v); i++ {
			if v[i] != v[i+l] {
				ok = false
				break
			}
		}
		if ok {
			return v[len(v)-l:]
		}
	}
	return ""
}
