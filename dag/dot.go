package dag

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/emicklei/dot"
)

// The three graphs look like Snakemake's --dag, --rulegraph and
// --filegraph: boxes with rounded corners, one colour per rule, edges from
// a producer to its consumer; in the job graphs, jobs that will not run are
// dashed. Node ids are zero-padded indexes because emicklei/dot writes
// nodes sorted by id: the output is stable for a given graph.

// WriteDAG writes one node per job, labelled with its rule and wildcards.
func WriteDAG(w io.Writer, g *Graph) error {
	colors := ruleColors(g)
	dg := newDot("dag")
	nodes := make([]dot.Node, len(g.Jobs))
	for i, j := range g.Jobs {
		lines := []string{j.Spec.Rule.Name}
		for _, k := range sortedKeys(j.Spec.Wildcards) {
			lines = append(lines, k+": "+j.Spec.Wildcards[k])
		}
		nodes[i] = jobNode(dg, i, j, colors, lines)
	}
	jobEdges(dg, g, nodes)
	return writeDot(w, dg)
}

// WriteRuleGraph writes one node per rule that has jobs in g, with an edge
// where a job of one rule needs a job of the other.
func WriteRuleGraph(w io.Writer, g *Graph) error {
	colors := ruleColors(g)
	dg := newDot("rulegraph")
	byRule := map[string]dot.Node{}
	for _, j := range g.Jobs {
		name := j.Spec.Rule.Name
		if _, ok := byRule[name]; ok {
			continue
		}
		n := dg.Node(fmt.Sprintf("%09d", len(byRule)))
		n.Attr("label", label(name))
		boxStyle(n, colors[name], "rounded")
		byRule[name] = n
	}
	seen := map[[2]string]bool{}
	for _, j := range g.Jobs {
		for _, d := range j.Deps {
			e := [2]string{d.Spec.Rule.Name, j.Spec.Rule.Name}
			if seen[e] {
				continue
			}
			seen[e] = true
			edge(dg, byRule[e[0]], byRule[e[1]])
		}
	}
	return writeDot(w, dg)
}

// WriteFileGraph writes one node per job listing its rule, inputs and
// outputs.
func WriteFileGraph(w io.Writer, g *Graph) error {
	colors := ruleColors(g)
	dg := newDot("filegraph")
	nodes := make([]dot.Node, len(g.Jobs))
	for i, j := range g.Jobs {
		lines := []string{j.Spec.Rule.Name}
		if len(j.Spec.Inputs) > 0 {
			lines = append(lines, "input:")
			for _, p := range j.Spec.Inputs {
				lines = append(lines, p.Path)
			}
		}
		if len(j.Spec.Outputs) > 0 {
			lines = append(lines, "output:")
			for _, p := range j.Spec.Outputs {
				lines = append(lines, p.Path)
			}
		}
		nodes[i] = jobNode(dg, i, j, colors, lines)
	}
	jobEdges(dg, g, nodes)
	return writeDot(w, dg)
}

func newDot(id string) *dot.Graph {
	dg := dot.NewGraph(dot.Directed)
	dg.ID(id)
	dg.Attr("bgcolor", "white")
	dg.Attr("margin", "0")
	return dg
}

func jobNode(dg *dot.Graph, i int, j *Job, colors map[string]string, lines []string) dot.Node {
	n := dg.Node(fmt.Sprintf("%09d", i))
	n.Attr("label", label(lines...))
	style := "rounded"
	if !j.Stale {
		style = "rounded,dashed"
	}
	boxStyle(n, colors[j.Spec.Rule.Name], style)
	return n
}

func jobEdges(dg *dot.Graph, g *Graph, nodes []dot.Node) {
	for i, j := range g.Jobs {
		for _, d := range j.Deps {
			edge(dg, nodes[d.ID], nodes[i])
		}
	}
}

func boxStyle(n dot.Node, color, style string) {
	n.Attr("shape", "box")
	n.Attr("style", style)
	n.Attr("color", color)
	n.Attr("fontname", "sans")
	n.Attr("fontsize", "10")
	n.Attr("penwidth", "2")
}

func edge(dg *dot.Graph, from, to dot.Node) {
	dg.Edge(from, to).Attr("color", "grey").Attr("penwidth", "2")
}

// ruleColors gives each rule in g a hue, spread evenly in name order, in
// Graphviz's "H S V" notation.
func ruleColors(g *Graph) map[string]string {
	names := map[string]bool{}
	for _, j := range g.Jobs {
		names[j.Spec.Rule.Name] = true
	}
	sorted := sortedKeys(names)
	colors := make(map[string]string, len(sorted))
	for i, n := range sorted {
		colors[n] = fmt.Sprintf("%.2f 0.6 0.85", float64(i)/float64(len(sorted)))
	}
	return colors
}

// label quotes lines as one DOT label, each line centred. It writes the
// quoted form itself (dot.Literal) because emicklei/dot quotes with Go's
// %q, whose \t, \x.. and \u.... escapes Graphviz does not read. Here:
// `"` and `\` are escaped (so a name holding "\N" or "\l" shows as typed),
// "&" becomes "&amp;" (Graphviz decodes entities in labels), control
// characters become "?", invalid UTF-8 becomes U+FFFD; other Unicode is
// written as is (Graphviz reads UTF-8).
func label(lines ...string) dot.Literal {
	var b strings.Builder
	b.WriteByte('"')
	for i, l := range lines {
		if i > 0 {
			b.WriteString(`\n`)
		}
		for _, r := range strings.ToValidUTF8(l, string(utf8.RuneError)) {
			switch {
			case r == '"':
				b.WriteString(`\"`)
			case r == '\\':
				b.WriteString(`\\`)
			case r == '&':
				b.WriteString("&amp;")
			case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
				b.WriteByte('?')
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return dot.Literal(b.String())
}

// writeDot writes dg and returns the first write error, which
// emicklei/dot's Write does not report.
func writeDot(w io.Writer, dg *dot.Graph) error {
	ew := &errWriter{w: w}
	dg.Write(ew)
	return ew.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err == nil {
		_, e.err = e.w.Write(p)
	}
	return len(p), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
