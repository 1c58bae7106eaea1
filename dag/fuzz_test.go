package dag

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowmake/flowmake/rules"
)

// fuzzMaxJobs is the job cut while fuzzing: a workflow that fans out
// without end is cut in well under a second.
const fuzzMaxJobs = 20000

// FuzzResolve loads a Rulefile and resolves its default target against a
// disk of the given files, in process, as `flowmake -n` does. Whatever the
// input, resolution ends without a panic, and a graph it returns is closed
// and topological: every dep is in the graph, before its consumer.
func FuzzResolve(f *testing.F) {
	cases, _ := filepath.Glob(filepath.Join("..", "testdata", "conformance", "*", "Rulefile"))
	for _, c := range cases {
		if b, err := os.ReadFile(c); err == nil {
			f.Add(b, "data/a.txt\ndata/b.txt\nin.txt")
		}
	}
	f.Add([]byte(diamond), "a.txt\nb.txt")
	f.Add([]byte(`rule "all" { input = ["q/x.txt"] }
rule "rec" {
  input  = ["{base}/sub/x.txt"]
  output = ["{base}/x.txt"]
}`), "q/sub/x.txt")
	f.Add([]byte(`ruleorder = ["b", "a"]
rule "all" { input = ["x/A.out"] }
rule "a" {
  input  = ["{s}.in"]
  output = ["x/{s}.out"]
}
rule "b" {
  input  = ["{s}.gone"]
  output = ["x/{s}.out"]
}
rule "c" {
  input  = ["x/{s}.out"]
  output = ["{s}.in"]
}`), "A.in")
	// The cuts hold at any size; smaller ones keep each input fast, so
	// the fuzzer tries many.
	defer func(d int) { maxDepth = d }(maxDepth)
	maxDepth = 2000
	f.Fuzz(func(t *testing.T, src []byte, files string) {
		if bytes.Contains(src, []byte("glob_wildcards")) {
			// It reads the real disk, all of it for a pattern such as
			// "/{x}": legitimately slow. wildcard's FuzzGlobWildcards
			// covers globbing on a tree of its own.
			return
		}
		wf, diags := rules.Parse(src, "Rulefile")
		if diags.HasErrors() || wf == nil || len(wf.Rules) == 0 {
			return
		}
		m := map[string]int{}
		for i, p := range strings.Split(files, "\n") {
			if p = strings.Trim(p, "/"); p != "" && !strings.Contains(p, "..") {
				m[p] = i
			}
		}
		g, err := Build(wf, Options{Stat: disk(m), Env: rules.Env{Dir: t.TempDir()}, MaxJobs: fuzzMaxJobs})
		if err != nil {
			return
		}
		pos := map[*Job]int{}
		for i, j := range g.Jobs {
			pos[j] = i
		}
		for i, j := range g.Jobs {
			for _, d := range j.Deps {
				k, ok := pos[d]
				if !ok {
					t.Fatalf("%s needs %s, which is not in the graph", j, d)
				}
				if k >= i && !j.Spec.Pending && !d.Spec.Rule.Checkpoint {
					t.Fatalf("%s comes before its dep %s", j, d)
				}
			}
		}
	})
}
