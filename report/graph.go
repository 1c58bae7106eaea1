package report

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// graphNode is one rule of the rule graph, with what its box says.
type graphNode struct {
	Rule   string
	Jobs   int
	Failed int
	Color  string
}

// ruleGraph is the rule graph of a run, cleaned: every edge joins two
// known nodes, once, and none is a loop.
type ruleGraph struct {
	Nodes []graphNode
	Edges [][2]int
}

// dotTimeout bounds graphviz: a rule graph has tens of nodes, so a dot
// that takes longer is stuck, and the embedded layout stands in.
const dotTimeout = 20 * time.Second

// graphSVG draws g as inline SVG and says what drew it.
func graphSVG(g ruleGraph, o Options) (template.HTML, string) {
	if len(g.Nodes) == 0 {
		return "", "no jobs, no graph"
	}
	if o.NoGraphviz {
		return layoutSVG(g), "drawn by flowmake's embedded layout"
	}
	prog := o.Dot
	if prog == "" {
		prog, _ = exec.LookPath("dot")
	}
	if prog != "" {
		svg, err := runDot(prog, dotSource(g))
		if err == nil {
			return svg, "drawn by graphviz dot"
		}
		return layoutSVG(g), fmt.Sprintf("drawn by flowmake's embedded layout: %v", err)
	}
	return layoutSVG(g), "drawn by flowmake's embedded layout (graphviz dot is not installed)"
}

// dotSource writes g in the DOT language, in the look of --rulegraph:
// rounded boxes filled with the rule's colour.
func dotSource(g ruleGraph) string {
	var b strings.Builder
	b.WriteString("digraph rules {\n")
	b.WriteString("\tgraph [bgcolor=\"transparent\", margin=\"0\", nodesep=\"0.3\", ranksep=\"0.4\"];\n")
	b.WriteString("\tnode [shape=box, style=\"rounded,filled\", fontname=\"sans-serif\", fontsize=11, penwidth=1.5];\n")
	b.WriteString("\tedge [color=\"#666666\", arrowsize=0.7];\n")
	for i, n := range g.Nodes {
		border := "#444444"
		if n.Failed > 0 {
			border = failedColor
		}
		// The node is named by its rule: dot writes the name as the SVG
		// title, the tooltip a browser shows.
		fmt.Fprintf(&b, "\t%s [id=%s, label=%s, fillcolor=%s, color=%s];\n",
			dotQuote(n.Rule), dotQuote("rule_"+strconv.Itoa(i)), dotQuote(n.Rule+"\n"+jobsLabel(n)), dotQuote(n.Color), dotQuote(border))
	}
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "\t%s -> %s;\n", dotQuote(g.Nodes[e[0]].Rule), dotQuote(g.Nodes[e[1]].Rule))
	}
	b.WriteString("}\n")
	return b.String()
}

// dotQuote quotes s as a DOT string. A newline becomes dot's \n (a
// centred line break); a backslash is doubled, so no other escape of
// dot's (\N, \G, \l) is taken from a rule name.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "")
	return `"` + r.Replace(s) + `"`
}

func jobsLabel(n graphNode) string {
	s := plural(n.Jobs, "job")
	if n.Failed > 0 {
		s += fmt.Sprintf(", %d failed", n.Failed)
	}
	return s
}

var (
	svgStart = regexp.MustCompile(`<svg\b`)
	// The namespace declarations are not needed inline in HTML, and
	// without them the page holds no http: at all, which the tests check.
	svgXMLNS = regexp.MustCompile(`\s+xmlns(:xlink)?="[^"]*"`)
)

// runDot renders src with graphviz and returns its SVG element without
// the XML prolog, doctype and comment before it.
func runDot(prog, src string) (template.HTML, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dotTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, "-Tsvg")
	cmd.Stdin = strings.NewReader(src)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(errb.String()); msg != "" {
			return "", fmt.Errorf("graphviz dot failed: %v: %s", err, firstLine(msg))
		}
		return "", fmt.Errorf("graphviz dot failed: %v", err)
	}
	svg := out.String()
	loc := svgStart.FindStringIndex(svg)
	if loc == nil {
		return "", fmt.Errorf("graphviz dot wrote no <svg> element")
	}
	svg = svg[loc[0]:]
	end := strings.IndexByte(svg, '>')
	if end < 0 {
		return "", fmt.Errorf("graphviz dot wrote a broken <svg> element")
	}
	head := svgXMLNS.ReplaceAllString(svg[:end], "")
	// dot's SVG is well-formed XML with the labels escaped: it goes into
	// the page as it is.
	return template.HTML(head + svg[end:]), nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// The embedded layout: the rule graph of a workflow is small (tens of
// rules) and mostly a chain with a few branches, so a layered drawing
// does: ranks by longest path from a source, a few barycentre sweeps to
// order each rank, boxes centred per rank, edges as curves from the bottom
// of a box to the top of the next. It does not route long edges around
// boxes as dot does.
const (
	boxH    = 38
	rankGap = 46
	boxGap  = 22
	margin  = 4
	charW   = 7.2 // average advance of the 12px sans-serif label
	minBoxW = 70
	boxPadX = 18
	sweeps  = 4
	// An edge passing a rank takes this room, and this gap to its
	// neighbours.
	dummyW   = 8
	dummyGap = 10
)

// ranks gives each node its longest-path distance from a source, then
// moves each source down to just above its nearest consumer. Nodes on
// a cycle (a stored graph never has one; it is not trusted) go one rank
// below the rest.
func ranks(n int, edges [][2]int) []int {
	indeg := make([]int, n)
	out := make([][]int, n)
	for _, e := range edges {
		out[e[0]] = append(out[e[0]], e[1])
		indeg[e[1]]++
	}
	rank := make([]int, n)
	done := make([]bool, n)
	queue := []int{}
	indeg0 := make([]bool, n)
	for v := range n {
		if indeg[v] == 0 {
			queue = append(queue, v)
			indeg0[v] = true
		}
	}
	maxRank := 0
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		done[u] = true
		maxRank = max(maxRank, rank[u])
		for _, v := range out[u] {
			rank[v] = max(rank[v], rank[u]+1)
			if indeg[v]--; indeg[v] == 0 {
				queue = append(queue, v)
			}
		}
	}
	for v := range n {
		if !done[v] {
			rank[v] = maxRank + 1
		}
	}
	// A source sits just above its nearest consumer rather than on top,
	// as dot draws it: a side input joins where it is used.
	for v := range n {
		if indeg0[v] && done[v] && len(out[v]) > 0 {
			lowest := -1
			for _, s := range out[v] {
				if lowest < 0 || rank[s] < lowest {
					lowest = rank[s]
				}
			}
			rank[v] = max(rank[v], lowest-1)
		}
	}
	return rank
}

// placed is where a node's box goes: its centre x, top y and width.
type placed struct {
	X, Y, W float64
}

// drawing is the embedded layout's result: the boxes of the nodes, a
// polyline per edge of g.Edges (the centres it passes through, one per
// rank between its ends), and the size.
type drawing struct {
	Nodes []placed
	Edges [][]point
	W, H  float64
}

type point struct{ X, Y float64 }

// layout places the nodes. An edge that spans several ranks gets a dummy
// node on each rank in between (Sugiyama's way), so the ordering keeps
// room for it and it bends around the boxes instead of crossing them.
func layout(g ruleGraph) drawing {
	n := len(g.Nodes)
	rank := ranks(n, g.Edges)
	width := make([]float64, n)
	for v := range n {
		width[v] = boxWidth(g.Nodes[v])
	}
	// The augmented graph: nodes 0..n-1, then the dummies.
	var succs, preds [][]int
	grow := func(r int, w float64) int {
		rank = append(rank, r)
		width = append(width, w)
		succs = append(succs, nil)
		preds = append(preds, nil)
		return len(rank) - 1
	}
	succs, preds = make([][]int, n), make([][]int, n)
	link := func(u, v int) {
		succs[u] = append(succs[u], v)
		preds[v] = append(preds[v], u)
	}
	chains := make([][]int, len(g.Edges)) // the nodes each edge passes
	for k, e := range g.Edges {
		u, v := e[0], e[1]
		chain := []int{u}
		if rank[v] > rank[u] {
			for r := rank[u] + 1; r < rank[v]; r++ {
				d := grow(r, dummyW)
				link(chain[len(chain)-1], d)
				chain = append(chain, d)
			}
			link(chain[len(chain)-1], v)
		}
		chains[k] = append(chain, v)
	}
	total := len(rank)
	nRanks := 0
	for _, r := range rank {
		nRanks = max(nRanks, r+1)
	}
	byRank := make([][]int, nRanks)
	for v := range total {
		byRank[rank[v]] = append(byRank[rank[v]], v)
	}

	// Order each rank by the barycentre of its neighbours' positions,
	// sweeping down and up.
	pos := make([]float64, total)
	for _, vs := range byRank {
		for i, v := range vs {
			pos[v] = float64(i)
		}
	}
	sortRank := func(vs []int, nb [][]int) {
		bary := make(map[int]float64, len(vs))
		for _, v := range vs {
			bary[v] = mean(nb[v], pos, pos[v])
		}
		// A stable insertion sort: ranks are short, and ties keep the
		// order before the sweep, so the drawing is deterministic.
		for i := 1; i < len(vs); i++ {
			for j := i; j > 0 && bary[vs[j]] < bary[vs[j-1]]; j-- {
				vs[j], vs[j-1] = vs[j-1], vs[j]
			}
		}
		for i, v := range vs {
			pos[v] = float64(i)
		}
	}
	for s := range sweeps {
		if s%2 == 0 {
			for r := 1; r < nRanks; r++ {
				sortRank(byRank[r], preds)
			}
		} else {
			for r := nRanks - 2; r >= 0; r-- {
				sortRank(byRank[r], succs)
			}
		}
	}

	// x: each rank packed and centred, then a few passes that pull each
	// node towards the mean x of its neighbours, keeping the order and
	// the gaps.
	x := make([]float64, total)
	gapOf := func(a, b int) float64 {
		if a >= n || b >= n {
			return dummyGap
		}
		return boxGap
	}
	for _, vs := range byRank {
		cur := 0.0
		for i, v := range vs {
			if i > 0 {
				cur += width[vs[i-1]]/2 + gapOf(vs[i-1], v) + width[v]/2
			}
			x[v] = cur
		}
		shift := (x[vs[0]] + x[vs[len(vs)-1]]) / 2
		for _, v := range vs {
			x[v] -= shift
		}
	}
	for pass := range 2 * sweeps {
		nb := preds
		if pass%2 == 1 {
			nb = succs
		}
		for _, vs := range byRank {
			want := make([]float64, len(vs))
			for i, v := range vs {
				want[i] = mean(nb[v], x, x[v])
			}
			// Place left to right at the wanted x or just right of the
			// left neighbour, then shift the rank back by the mean
			// displacement so it does not drift.
			got := make([]float64, len(vs))
			for i, v := range vs {
				got[i] = want[i]
				if i > 0 {
					got[i] = max(got[i], got[i-1]+width[vs[i-1]]/2+gapOf(vs[i-1], v)+width[v]/2)
				}
			}
			d := 0.0
			for i := range vs {
				d += got[i] - want[i]
			}
			d /= float64(len(vs))
			for i, v := range vs {
				x[v] = got[i] - d
			}
		}
	}
	minX, maxX := 0.0, 0.0
	for v := range total {
		l, r := x[v]-width[v]/2, x[v]+width[v]/2
		if v == 0 || l < minX {
			minX = l
		}
		if v == 0 || r > maxX {
			maxX = r
		}
	}
	top := func(v int) float64 { return margin + float64(rank[v])*(boxH+rankGap) }
	var dr drawing
	dr.Nodes = make([]placed, n)
	for v := range n {
		dr.Nodes[v] = placed{X: x[v] - minX + margin, Y: top(v), W: width[v]}
	}
	for _, chain := range chains {
		var line []point
		for k, v := range chain {
			px := x[v] - minX + margin
			switch {
			case k == 0:
				line = append(line, point{px, top(v) + boxH})
			case k == len(chain)-1:
				line = append(line, point{px, top(v)})
			default: // a dummy: straight through its rank
				line = append(line, point{px, top(v)}, point{px, top(v) + boxH})
			}
		}
		dr.Edges = append(dr.Edges, line)
	}
	dr.W = maxX - minX + 2*margin
	dr.H = float64(nRanks)*(boxH+rankGap) - rankGap + 2*margin
	return dr
}

// mean is the mean of at[v] over vs, or def when vs is empty.
func mean(vs []int, at []float64, def float64) float64 {
	if len(vs) == 0 {
		return def
	}
	s := 0.0
	for _, v := range vs {
		s += at[v]
	}
	return s / float64(len(vs))
}

func boxWidth(n graphNode) float64 {
	chars := max(len([]rune(n.Rule)), len(jobsLabel(n))*5/6)
	return max(minBoxW, float64(chars)*charW+2*boxPadX)
}

// layoutSVG draws g with the embedded layout. Every text is escaped: a
// stored run is not trusted to hold only identifiers.
func layoutSVG(g ruleGraph) template.HTML {
	d := layout(g)
	p := d.Nodes
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="fallback" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="rule graph">`, d.W, d.H, d.W, d.H)
	b.WriteString(`<defs><marker id="fm-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#666"/></marker></defs>`)
	for _, line := range d.Edges {
		b.WriteString(`<path class="edge" d="`)
		fmt.Fprintf(&b, "M%.1f,%.1f", line[0].X, line[0].Y)
		for k := 1; k < len(line); k++ {
			a, c := line[k-1], line[k]
			if a.X == c.X && k%2 == 0 { // through a dummy's rank
				fmt.Fprintf(&b, "L%.1f,%.1f", c.X, c.Y)
				continue
			}
			dy := (c.Y - a.Y) / 2
			fmt.Fprintf(&b, "C%.1f,%.1f %.1f,%.1f %.1f,%.1f", a.X, a.Y+dy, c.X, c.Y-dy, c.X, c.Y)
		}
		b.WriteString(`" fill="none" stroke="#666" stroke-width="1.2" marker-end="url(#fm-arrow)"/>`)
	}
	for i, n := range g.Nodes {
		border := "#444"
		if n.Failed > 0 {
			border = failedColor
		}
		q := p[i]
		fmt.Fprintf(&b, `<g class="node" id="rule_%d" data-rule="%s"><rect x="%.1f" y="%.1f" width="%.1f" height="%d" rx="7" fill="%s" stroke="%s" stroke-width="1.5"/>`,
			i, esc(n.Rule), q.X-q.W/2, q.Y, q.W, boxH, esc(n.Color), border)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="12">%s</text>`, q.X, q.Y+16, esc(n.Rule))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10" fill="#333">%s</text></g>`, q.X, q.Y+30, esc(jobsLabel(n)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func esc(s string) string { return template.HTMLEscapeString(s) }
