package main

import (
	"bytes"
	"flag"
	"os"
	osexec "os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/golden/NAME, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/flowmake -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from golden file (go test ./cmd/flowmake -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

const countsRulefile = `
config {
  samples = ["a", "b", "c"]
}

rule "all" {
  input = expand("plots/{sample}.txt", { sample = config.samples })
}

rule "count" {
  input   = "data/{sample}.txt"
  output  = "counts/{sample}.txt"
  params  = { flags = "-l" }
  shell   = "wc ${params.flags} < ${input} > ${output}"
}

rule "plot" {
  input  = { counts = "counts/{sample}.txt" }
  output = "plots/{sample}.txt"
  shell  = "sed 's/^/plot: /' ${input.counts} > ${output}"
}
`

func countsWorkspace(t *testing.T) string {
	return workspace(t, map[string]string{
		"Rulefile":   countsRulefile,
		"data/a.txt": "1\n2\n",
		"data/b.txt": "1\n",
		"data/c.txt": "1\n2\n3\n",
	})
}

func TestDryRunListsJobsReasonsAndCommands(t *testing.T) {
	dir := countsWorkspace(t)
	r := mustRun(t, dir, "-n", "-p")
	golden(t, "dryrun_counts.txt", r.stdout)
	for _, want := range []string{"rule count:", "wildcards: sample=b", "reason: missing output: counts/b.txt", "wc -l < data/b.txt > counts/b.txt"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, r.stdout)
		}
	}
	if exists(filepath.Join(dir, "counts")) || exists(filepath.Join(dir, ".flowmake")) {
		t.Error("a dry run wrote files")
	}
	// The stats table counts jobs per rule.
	if !regexp.MustCompile(`(?m)^\s*count\s+3\s*$`).MatchString(r.stdout) || !regexp.MustCompile(`(?m)^\s*total\s+7\s*$`).MatchString(r.stdout) {
		t.Errorf("job stats wrong:\n%s", r.stdout)
	}
}

func TestDryRunReasonsFollowTimestamps(t *testing.T) {
	dir := countsWorkspace(t)
	for _, s := range []string{"a", "b", "c"} {
		writeFile(t, filepath.Join(dir, "counts", s+".txt"), "n\n")
		writeFile(t, filepath.Join(dir, "plots", s+".txt"), "p\n")
		setMtime(t, filepath.Join(dir, "data", s+".txt"), -3*time.Hour)
		setMtime(t, filepath.Join(dir, "counts", s+".txt"), -2*time.Hour)
		setMtime(t, filepath.Join(dir, "plots", s+".txt"), -1*time.Hour)
	}
	r := mustRun(t, dir, "-n")
	if !strings.Contains(r.stderr, "Nothing to be done") {
		t.Fatalf("up-to-date workflow should have nothing to do:\n%s%s", r.stdout, r.stderr)
	}
	// Touching one input makes exactly its consumers stale.
	setMtime(t, filepath.Join(dir, "data", "b.txt"), 0)
	r = mustRun(t, dir, "-n")
	if !strings.Contains(r.stdout, "reason: input newer: data/b.txt") || !strings.Contains(r.stdout, "reason: upstream changed: counts/b.txt") {
		t.Errorf("want input-newer and upstream reasons:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "sample=a") || strings.Contains(r.stdout, "sample=c") {
		t.Errorf("untouched samples would run:\n%s", r.stdout)
	}
	// -F forces all, -R forces a rule and its downstream, --until stops early.
	setMtime(t, filepath.Join(dir, "data", "b.txt"), -3*time.Hour)
	r = mustRun(t, dir, "-n", "-F")
	if got := strings.Count(r.stdout, "reason: forced"); got != 7 {
		t.Errorf("-F: %d forced jobs, want 7:\n%s", got, r.stdout)
	}
	r = mustRun(t, dir, "-n", "-R", "plot")
	if strings.Contains(r.stdout, "rule count:") || strings.Count(r.stdout, "rule plot:") != 3 {
		t.Errorf("-R plot should force the 3 plot jobs only (and all):\n%s", r.stdout)
	}
	r = mustRun(t, dir, "-n", "-F", "--until", "count")
	if strings.Contains(r.stdout, "rule plot:") || !strings.Contains(r.stdout, "rule count:") {
		t.Errorf("--until count should stop before plot:\n%s", r.stdout)
	}
}

func TestTargetsByFileAndRule(t *testing.T) {
	dir := countsWorkspace(t)
	r := mustRun(t, dir, "-n", "counts/a.txt")
	if countJobs(r.stdout) != 1 || !strings.Contains(r.stdout, "counts/a.txt") {
		t.Errorf("file target should give one job:\n%s", r.stdout)
	}
	// Paths are cleaned in targets as in rules.
	r = mustRun(t, dir, "-n", "./counts//a.txt")
	if countJobs(r.stdout) != 1 {
		t.Errorf("uncleaned target path:\n%s", r.stdout)
	}
	r = mustRun(t, dir, "-n", "all")
	if countJobs(r.stdout) != 7 {
		t.Errorf("rule target all should give 7 jobs:\n%s", r.stdout)
	}
}

func TestConfigOverrides(t *testing.T) {
	dir := countsWorkspace(t)
	r := mustRun(t, dir, "-n", `--config`, `samples=["a"]`)
	if got := strings.Count(r.stdout, "rule count:"); got != 1 {
		t.Errorf("--config samples=[a]: %d count jobs, want 1", got)
	}
	writeFile(t, filepath.Join(dir, "c.yaml"), "samples: [b, c]\n")
	r = mustRun(t, dir, "-n", "--configfile", "c.yaml")
	if got := strings.Count(r.stdout, "rule count:"); got != 2 || strings.Contains(r.stdout, "sample=a") {
		t.Errorf("--configfile: want b and c only:\n%s", r.stdout)
	}
	writeFile(t, filepath.Join(dir, "bad.json"), "{ not json")
	r = flowmake(t, dir, "-n", "--configfile", "bad.json")
	if r.code != 1 || !strings.Contains(r.stderr, "bad.json") {
		t.Errorf("unparsable config file: exit %d, want 1 naming the file:\n%s", r.code, r.stderr)
	}
}

func TestListRules(t *testing.T) {
	dir := countsWorkspace(t)
	r := mustRun(t, dir, "--list")
	for _, want := range []string{"all", "count", "counts/{sample}.txt", "plot", "plots/{sample}.txt"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--list lacks %q:\n%s", want, r.stdout)
		}
	}
}

// dotGraph is the structure of a DOT file: node ids with their attribute
// text, and edges.
type dotGraph struct {
	nodes map[string]string
	edges [][2]string
}

var (
	dotNode = regexp.MustCompile(`(?m)^\s*(n\d+|"[^"]+")\s*\[(.*)\];?\s*$`)
	dotEdge = regexp.MustCompile(`(?m)^\s*(n\d+|"[^"]+")\s*->\s*(n\d+|"[^"]+")`)
)

func parseDOT(t *testing.T, src string) dotGraph {
	t.Helper()
	if !strings.HasPrefix(strings.TrimSpace(src), "digraph") {
		t.Fatalf("not a digraph:\n%s", src)
	}
	g := dotGraph{nodes: map[string]string{}}
	for _, m := range dotNode.FindAllStringSubmatch(src, -1) {
		g.nodes[m[1]] = m[2]
	}
	for _, m := range dotEdge.FindAllStringSubmatch(src, -1) {
		g.edges = append(g.edges, [2]string{m[1], m[2]})
	}
	for _, e := range g.edges {
		for _, id := range e {
			if _, ok := g.nodes[id]; !ok {
				t.Errorf("edge to undeclared node %s", id)
			}
		}
	}
	return g
}

// renderDOT runs graphviz when it is there and fails on any warning.
func renderDOT(t *testing.T, src string) {
	t.Helper()
	if _, err := osexec.LookPath("dot"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("graphviz's dot is not installed (scripts/setup.sh installs it)")
		}
		t.Log("dot not installed; skipping rendering")
		return
	}
	cmd := osexec.Command("dot", "-Tsvg")
	cmd.Stdin = strings.NewReader(src)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || errb.Len() > 0 {
		t.Fatalf("dot -Tsvg: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "<svg") {
		t.Fatal("dot produced no svg")
	}
}

func TestDAGIsValidDOT(t *testing.T) {
	dir := countsWorkspace(t)
	// counts/a.txt up to date: its job is drawn dashed, the rest solid.
	writeFile(t, filepath.Join(dir, "counts", "a.txt"), "2\n")
	r := mustRun(t, dir, "--dag")
	g := parseDOT(t, r.stdout)
	if len(g.nodes) != 7 || len(g.edges) != 6 {
		t.Errorf("--dag: %d nodes, %d edges; want 7 and 6:\n%s", len(g.nodes), len(g.edges), r.stdout)
	}
	dashed := 0
	for _, attrs := range g.nodes {
		if strings.Contains(attrs, "dashed") {
			dashed++
		}
	}
	if dashed != 1 {
		t.Errorf("want exactly 1 dashed (up-to-date) job, got %d:\n%s", dashed, r.stdout)
	}
	renderDOT(t, r.stdout)
	golden(t, "dag_counts.dot", r.stdout)

	r = mustRun(t, dir, "--rulegraph")
	g = parseDOT(t, r.stdout)
	if len(g.nodes) != 3 || len(g.edges) != 2 {
		t.Errorf("--rulegraph: %d nodes, %d edges; want 3 and 2:\n%s", len(g.nodes), len(g.edges), r.stdout)
	}
	renderDOT(t, r.stdout)

	r = mustRun(t, dir, "--filegraph")
	g = parseDOT(t, r.stdout)
	if len(g.nodes) < 7 || !strings.Contains(r.stdout, "counts/b.txt") {
		t.Errorf("--filegraph should show jobs with their files:\n%s", r.stdout)
	}
	renderDOT(t, r.stdout)
}

func TestUsageErrorsExit2(t *testing.T) {
	dir := countsWorkspace(t)
	for _, args := range [][]string{{"--no-such-flag"}, {"-j", "x"}, {"--list-changes", "nope"}, {"-C", "does/not/exist", "-n"}} {
		r := flowmake(t, dir, args...)
		if r.code != 2 {
			t.Errorf("flowmake %v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
}

func TestDirectoryAndRulefileFlags(t *testing.T) {
	dir := countsWorkspace(t)
	other := t.TempDir()
	r := mustRun(t, other, "-C", dir, "-n")
	if strings.Count(r.stdout, "rule count:") != 3 {
		t.Errorf("-C DIR:\n%s%s", r.stdout, r.stderr)
	}
	writeFile(t, filepath.Join(dir, "alt.hcl"), `rule "only" {
  output = "x.txt"
  shell  = "echo x > ${output}"
}
`)
	r = mustRun(t, dir, "-s", "alt.hcl", "-n")
	if !strings.Contains(r.stdout, "rule only:") {
		t.Errorf("-s FILE:\n%s%s", r.stdout, r.stderr)
	}
}

// countJobs counts the jobs in a dry-run listing.
func countJobs(listing string) int {
	return len(regexp.MustCompile(`(?m)^(rule|checkpoint) \w+:$`).FindAllString(listing, -1))
}
