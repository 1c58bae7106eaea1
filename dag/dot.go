package dag

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/emicklei/dot"
)

// The three graphs look like Snakemake's --dag, --rulegraph and
// --filegraph: boxes with rounded corners, one colour per rule, edges from
// a producer to its consumer; in the job graphs, jobs that will not run are
// dashed. Node ids are zero-padded indexes because emicklei/dot writes
// nodes sorted by id: the output is stable for a given graph.
//
// The job graphs have a node per job, so they are written directly, in
// exactly the text emicklei/dot writes (see writeJobGraph): building its
// graph of attribute maps for 100,000 jobs took seconds and hundreds of
// megabytes. The rule graph, a node per rule, still goes through it.

// WriteDAG writes one node per job, labelled with its rule and wildcards.
func WriteDAG(w io.Writer, g *Graph) error {
	var keys []string
	return writeJobGraph(w, g, "dag", func(lines []string, j *Job) []string {
		lines = append(lines, j.Spec.Rule.Name)
		keys = keys[:0]
		for k := range j.Spec.Wildcards {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			lines = append(lines, k+": "+j.Spec.Wildcards[k])
		}
		return lines
	})
}

// WriteRuleGraph writes one node per rule that has jobs in g, with an edge
// where a job of one rule needs a job of the other.
func WriteRuleGraph(w io.Writer, g *Graph) error {
	colors := ruleColors(g)
	dg := newDot("rulegraph")
	names, edges := RuleGraph(g)
	byRule := make(map[string]dot.Node, len(names))
	for i, name := range names {
		n := dg.Node(fmt.Sprintf("%09d", i))
		n.Attr("label", label(name))
		boxStyle(n, colors[name], "rounded")
		byRule[name] = n
	}
	for _, e := range edges {
		edge(dg, byRule[e[0]], byRule[e[1]])
	}
	return writeDot(w, dg)
}

// RuleGraph is the rule graph of g: the rules that have jobs, in the order
// of their first job, and an edge {A, B} where a job of B needs a job of
// A, each once, in the order the jobs first show it. --rulegraph draws it
// and the run history keeps it for the report.
func RuleGraph(g *Graph) (names []string, edges [][2]string) {
	seenRule := map[string]bool{}
	seenEdge := map[[2]string]bool{}
	for _, j := range g.Jobs {
		if j.Spec == nil || j.Spec.Rule == nil {
			continue
		}
		name := j.Spec.Rule.Name
		if !seenRule[name] {
			seenRule[name] = true
			names = append(names, name)
		}
		for _, d := range j.Deps {
			if d.Spec == nil || d.Spec.Rule == nil {
				continue
			}
			if e := [2]string{d.Spec.Rule.Name, name}; !seenEdge[e] {
				seenEdge[e] = true
				edges = append(edges, e)
			}
		}
	}
	return names, edges
}

// WriteFileGraph writes one node per job listing its rule, inputs and
// outputs.
func WriteFileGraph(w io.Writer, g *Graph) error {
	return writeJobGraph(w, g, "filegraph", func(lines []string, j *Job) []string {
		lines = append(lines, j.Spec.Rule.Name)
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
		return lines
	})
}

// writeJobGraph writes a node per job, labelled with the lines that
// appends (to a reused slice), and an edge per dependency, as
// emicklei/dot writes the graph that newDot, boxStyle and edge would build:
//
//	digraph ID {
//		bgcolor="white";margin="0";
//		n1[color=...,fontname="sans",...,style="rounded"];
//		n1->n3[color="grey",penwidth="2"];
//
//	}
//
// Nodes are numbered from 1 in creation order (Graph.Jobs order) and
// listed by id, which is that order too; edges are grouped by the node
// they leave, those groups in node order, each in the order the edges
// were made (by consumer, then Deps order). TestJobGraphsAsEmickleiDot
// checks the text against the library's.
func writeJobGraph(w io.Writer, g *Graph, id string, appendLines func([]string, *Job) []string) error {
	colors := ruleColors(g)
	ew := &errWriter{w: w}
	bw := bufio.NewWriterSize(ew, 64<<10)
	bw.WriteString("digraph " + id + " {\n\t" + `bgcolor="white";margin="0";` + "\n\t")
	var buf []byte
	var lines []string
	for i, j := range g.Jobs {
		style := "rounded"
		if !j.Stale {
			style = "rounded,dashed"
		}
		lines = appendLines(lines[:0], j)
		buf = append(buf[:0], 'n')
		buf = strconv.AppendInt(buf, int64(i+1), 10)
		buf = append(buf, "[color="...)
		buf = strconv.AppendQuote(buf, colors[j.Spec.Rule.Name])
		buf = append(buf, `,fontname="sans",fontsize="10",label=`...)
		buf = appendLabel(buf, lines)
		buf = append(buf, `,penwidth="2",shape="box",style=`...)
		buf = strconv.AppendQuote(buf, style)
		buf = append(buf, "];\n\t"...)
		bw.Write(buf)
	}
	// Edges by the node they leave: count, then place (a stable bucket
	// sort of the edges in the order jobEdges made them).
	start := make([]int32, len(g.Jobs)+1)
	for _, j := range g.Jobs {
		for _, d := range j.Deps {
			start[d.ID+1]++
		}
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	to := make([]int32, start[len(start)-1])
	next := append([]int32(nil), start[:len(g.Jobs)]...)
	for i, j := range g.Jobs {
		for _, d := range j.Deps {
			to[next[d.ID]] = int32(i)
			next[d.ID]++
		}
	}
	for from := range g.Jobs {
		for _, t := range to[start[from]:start[from+1]] {
			buf = append(buf[:0], 'n')
			buf = strconv.AppendInt(buf, int64(from+1), 10)
			buf = append(buf, "->n"...)
			buf = strconv.AppendInt(buf, int64(t+1), 10)
			buf = append(buf, `[color="grey",penwidth="2"];`+"\n\t"...)
			bw.Write(buf)
		}
	}
	bw.WriteString("\n}\n")
	bw.Flush()
	return ew.err
}

func newDot(id string) *dot.Graph {
	dg := dot.NewGraph(dot.Directed)
	dg.ID(id)
	dg.Attr("bgcolor", "white")
	dg.Attr("margin", "0")
	return dg
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
	sorted := slices.Sorted(maps.Keys(names))
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
	return dot.Literal(appendLabel(nil, lines))
}

// appendLabel appends label(lines...) to buf.
func appendLabel(buf []byte, lines []string) []byte {
	buf = append(buf, '"')
	for i, l := range lines {
		if i > 0 {
			buf = append(buf, `\n`...)
		}
		for _, r := range strings.ToValidUTF8(l, string(utf8.RuneError)) {
			switch {
			case r == '"':
				buf = append(buf, `\"`...)
			case r == '\\':
				buf = append(buf, `\\`...)
			case r == '&':
				buf = append(buf, "&amp;"...)
			case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
				buf = append(buf, '?')
			default:
				buf = utf8.AppendRune(buf, r)
			}
		}
	}
	return append(buf, '"')
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
