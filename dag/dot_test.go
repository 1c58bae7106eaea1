package dag

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/emicklei/dot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/dag")

// dotFlow has wildcard values that need escaping in DOT.
const dotFlow = `
config { samples = ["A", "q\"uote", "back\\N", "ünï 日本", "a&b"] }
rule "all" {
  input = expand("results/{s}.bam", { s = config.samples })
}
rule "align" {
  input  = ["data/{s}.fq", "ref.fa"]
  output = ["results/{s}.bam"]
}
rule "ref" {
  output = ["ref.fa"]
}
`

func dotGraph(t *testing.T) *Graph {
	files := map[string]int{"ref.fa": 0, "results/A.bam": 1}
	for _, s := range []string{"A", `q"uote`, `back\N`, "ünï 日本", "a&b"} {
		files["data/"+s+".fq"] = 0
	}
	g, err := Build(parse(t, dotFlow), Options{Stat: disk(files)})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

var (
	nodeLine = regexp.MustCompile(`^\s*n(\d+)\[(.*)\];$`)
	edgeLine = regexp.MustCompile(`^\s*n(\d+)->n(\d+)\[(.*)\];$`)
)

// parsedDot is what a DOT file says, read back by a small parser.
type parsedDot struct {
	labels map[string]string // node -> label, unescaped as Graphviz does
	styles map[string]string
	edges  [][2]string // from, to
}

func parseDot(t *testing.T, src string) parsedDot {
	t.Helper()
	p := parsedDot{labels: map[string]string{}, styles: map[string]string{}}
	lines := strings.Split(strings.TrimSpace(src), "\n")
	if !strings.HasPrefix(lines[0], "digraph ") || lines[len(lines)-1] != "}" {
		t.Fatalf("not a digraph:\n%s", src)
	}
	for _, l := range lines[1 : len(lines)-1] {
		if m := edgeLine.FindStringSubmatch(l); m != nil {
			p.edges = append(p.edges, [2]string{m[1], m[2]})
		} else if m := nodeLine.FindStringSubmatch(l); m != nil {
			attrs := dotAttrs(t, m[2])
			p.labels[m[1]] = attrs["label"]
			p.styles[m[1]] = attrs["style"]
		} else if strings.TrimSpace(l) != "" && !strings.HasSuffix(l, ";") {
			t.Errorf("unexpected line %q", l)
		}
	}
	return p
}

// dotAttrs reads k="v",k="v" with DOT's escapes and Graphviz's label
// processing of \n, \\ and &amp;.
func dotAttrs(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for len(s) > 0 {
		eq := strings.Index(s, `="`)
		if eq < 0 {
			t.Fatalf("bad attributes %q", s)
		}
		key := s[:eq]
		s = s[eq+2:]
		var v strings.Builder
		i := 0
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					v.WriteByte('\n')
				default:
					v.WriteByte(s[i])
				}
				continue
			}
			v.WriteByte(s[i])
		}
		if i == len(s) {
			t.Fatalf("unterminated value in %q", s)
		}
		out[key] = strings.ReplaceAll(v.String(), "&amp;", "&")
		s = strings.TrimPrefix(s[i+1:], ",")
	}
	return out
}

func TestWriteDot(t *testing.T) {
	g := dotGraph(t)
	jobEdges := 0
	for _, j := range g.Jobs {
		jobEdges += len(j.Deps)
	}
	tests := []struct {
		name   string
		write  func(*bytes.Buffer, *Graph) error
		nodes  int
		edges  int
		labels []string // some labels, as displayed
	}{
		{"dag", func(b *bytes.Buffer, g *Graph) error { return WriteDAG(b, g) }, len(g.Jobs), jobEdges,
			[]string{"all", "ref", "align\ns: A", "align\ns: q\"uote", "align\ns: back\\N", "align\ns: ünï 日本", "align\ns: a&b"}},
		{"rulegraph", func(b *bytes.Buffer, g *Graph) error { return WriteRuleGraph(b, g) }, 3, 2,
			[]string{"all", "ref", "align"}},
		{"filegraph", func(b *bytes.Buffer, g *Graph) error { return WriteFileGraph(b, g) }, len(g.Jobs), jobEdges,
			[]string{"ref\noutput:\nref.fa", "align\ninput:\ndata/a&b.fq\nref.fa\noutput:\nresults/a&b.bam"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(&buf, g); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("..", "testdata", "dag", tt.name+".dot"), buf.Bytes())

			p := parseDot(t, buf.String())
			if len(p.labels) != tt.nodes || len(p.edges) != tt.edges {
				t.Errorf("%d nodes and %d edges, want %d and %d", len(p.labels), len(p.edges), tt.nodes, tt.edges)
			}
			have := map[string]bool{}
			for _, l := range p.labels {
				have[l] = true
			}
			for _, l := range tt.labels {
				if !have[l] {
					t.Errorf("no node labelled %q; have %q", l, p.labels)
				}
			}
			for _, e := range p.edges {
				if _, ok := p.labels[e[0]]; !ok {
					t.Errorf("edge from unknown node %s", e[0])
				}
				if _, ok := p.labels[e[1]]; !ok {
					t.Errorf("edge to unknown node %s", e[1])
				}
			}
			if tt.name == "dag" {
				dashed := 0
				for _, s := range p.styles {
					if strings.Contains(s, "dashed") {
						dashed++
					}
				}
				if dashed != 2 { // ref and align (s=A) are up to date
					t.Errorf("%d dashed nodes, want 2", dashed)
				}
			}
			renderDot(t, buf.Bytes())

			var again bytes.Buffer
			tt.write(&again, g)
			if !bytes.Equal(again.Bytes(), buf.Bytes()) {
				t.Error("output differs between two calls")
			}
		})
	}
}

// renderDot runs Graphviz, when installed, and fails on any complaint.
func renderDot(t *testing.T, src []byte) {
	t.Helper()
	bin, err := exec.LookPath("dot")
	if err != nil {
		t.Log("graphviz not installed; not rendering")
		return
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "-Tsvg")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(src), &stdout, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("dot -Tsvg: %v\n%s", err, stderr.String())
	}
	if !bytes.Contains(stdout.Bytes(), []byte("<svg")) {
		t.Error("dot wrote no SVG")
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./dag/ -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test ./dag/ -update to accept):\n%s", path, got)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestWriteDotReportsWriteErrors(t *testing.T) {
	g := dotGraph(t)
	if err := WriteDAG(failWriter{}, g); err == nil {
		t.Error("WriteDAG: no error from a failing writer")
	}
}

// emickleiJobGraph is how the job graphs were written before
// writeJobGraph: through emicklei/dot's graph, one zero-padded node id per
// job. writeJobGraph must write exactly this text.
func emickleiJobGraph(g *Graph, id string, lines func(*Job) []string) []byte {
	colors := ruleColors(g)
	dg := newDot(id)
	nodes := make([]dot.Node, len(g.Jobs))
	for i, j := range g.Jobs {
		n := dg.Node(fmt.Sprintf("%09d", i))
		n.Attr("label", label(lines(j)...))
		style := "rounded"
		if !j.Stale {
			style = "rounded,dashed"
		}
		boxStyle(n, colors[j.Spec.Rule.Name], style)
		nodes[i] = n
	}
	for i, j := range g.Jobs {
		for _, d := range j.Deps {
			edge(dg, nodes[d.ID], nodes[i])
		}
	}
	var b bytes.Buffer
	dg.Write(&b)
	return b.Bytes()
}

func TestJobGraphsAsEmickleiDot(t *testing.T) {
	dagLines := func(j *Job) []string {
		lines := []string{j.Spec.Rule.Name}
		for _, k := range slices.Sorted(maps.Keys(j.Spec.Wildcards)) {
			lines = append(lines, k+": "+j.Spec.Wildcards[k])
		}
		return lines
	}
	fileLines := func(j *Job) []string {
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
		return lines
	}
	// Deps listed against topological order, shared producers, several
	// wildcards, and a job with neither inputs nor outputs.
	const crossed = `
rule "all" { input = ["z/1-x.txt", "z/2-y.txt", "c.txt", "a.txt"] }
rule "z" {
  input  = ["c.txt", "b/{n}.txt", "a.txt"]
  output = ["z/{n}-{m}.txt"]
}
rule "b" {
  input  = ["a.txt"]
  output = ["b/{n}.txt"]
}
rule "a" { output = ["a.txt"] }
rule "c" {
  input  = ["a.txt"]
  output = ["c.txt"]
}
rule "lonely" { shell = "true" }
`
	graphs := map[string]*Graph{"dotFlow": dotGraph(t)}
	for name, c := range map[string]struct {
		src     string
		files   map[string]int
		targets []string
	}{
		"diamond":  {src: diamond},
		"chain":    {src: chainFlow, files: map[string]int{"raw/A.gz": 0, "tmp/A.txt": 1}},
		"align":    {src: alignFlow, files: map[string]int{"data/B.fq": 0, "data/A.fq": 0}},
		"crossed":  {src: crossed, files: map[string]int{"a.txt": 0, "c.txt": 1}, targets: []string{"all", "lonely"}},
		"bench":    {src: benchFlow(25), files: map[string]int{"a/s3.txt": 0, "b/s3.txt": 1, "c/s3.txt": 2}},
		"no edges": {src: `rule "one" { output = ["x"] }`},
	} {
		g, err := Build(parse(t, c.src), Options{Stat: disk(c.files), Targets: c.targets})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		graphs[name] = g
	}
	for name, g := range graphs {
		for _, w := range []struct {
			id    string
			write func(io.Writer, *Graph) error
			lines func(*Job) []string
		}{{"dag", WriteDAG, dagLines}, {"filegraph", WriteFileGraph, fileLines}} {
			var got bytes.Buffer
			if err := w.write(&got, g); err != nil {
				t.Fatal(err)
			}
			if want := emickleiJobGraph(g, w.id, w.lines); !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s %s:\n got %q\nwant %q", name, w.id, got.Bytes(), want)
			}
		}
	}
}
